"""Editors' knowledge entries next to the German FAQ dev set: do entries that answer other
questions, and the rule that an entry wins near-ties (rag/retrieval/ties.py), cost the site's
own questions anything?

    .venv/bin/python tests/bench/bench_entries.py

Indexes the FAQ site (tests/bench/data/faq_site) with the bundled model, as
tests/bench/devsets.py does, then adds entries on topics the site does not cover, indexed as
backend/knowledge/indexing.py indexes them (rag.ingest.index_parsed, payload kind "entry").
Rows: no entries; the entries ranked without the tie rule; with it. Prints a table; never fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.bench import devsets  # noqa: E402

# Questions a sports club's visitors ask that the FAQ site does not answer.
ENTRIES = [
    ("Wo kann ich parken?", "Kostenlose Parkplätze gibt es hinter der Sporthalle."),
    ("Gibt es WLAN in der Halle?", "Das Gäste-WLAN heißt Verein-Gast, das Passwort hängt aus."),
    ("Darf ich meinen Hund mitbringen?", "Hunde sind in der Halle nicht erlaubt."),
    ("Gibt es eine Cafeteria?", "Die Cafeteria ist an Spieltagen ab 10 Uhr geöffnet."),
    ("Wo finde ich Fundsachen?", "Fundsachen liegen eine Woche lang beim Hallenwart."),
    ("Kann man die Halle für Geburtstage mieten?", "Nein, die Halle wird nicht vermietet."),
    ("Gibt es Duschen?", "Duschen und Umkleiden sind im Untergeschoss."),
    ("Ist die Halle barrierefrei?", "Ein Aufzug führt vom Eingang zur Tribüne."),
    ("Wer ist der Hallenwart?", "Hallenwart ist Herr Berger, erreichbar über das Büro."),
    ("Darf man in der Halle fotografieren?", "Fotos sind nur mit Einverständnis erlaubt."),
    ("Gibt es Schließfächer?", "Schließfächer gibt es gegen ein Pfand von 1 Euro."),
    ("Wann ist das Büro besetzt?", "Das Büro ist dienstags von 17 bis 19 Uhr besetzt."),
]


def add_entries(client, config, embedder) -> None:
    from rag.ingest import index_parsed
    from rag.models import Block, ParsedDocument

    for n, (question, answer) in enumerate(ENTRIES, start=1):
        document = ParsedDocument(
            url="", content_type="html", title=question, language="de",
            blocks=(Block("text", answer),), parser_version="knowledge-entry-1",
        )  # fmt: skip
        index_parsed(
            document, f"entry-{n}", "entries", config, client, dense_embedder=embedder,
            extra_payload={"kind": "entry", "entry_id": n, "entry_date": "2026-12-01"},
        )  # fmt: skip


def main() -> None:
    from qdrant_client import QdrantClient

    from rag.answer.config import AnswerConfig
    from rag.config import DenseConfig, RagConfig, VectorStoreConfig
    from rag.embeddings.bundled import BundledEmbedder

    pages, questions = devsets.faq_site()
    embedder = BundledEmbedder()
    dense = DenseConfig(model=embedder.model, dim=embedder.dim, provider="local")
    config = RagConfig(vector_store=VectorStoreConfig(url="", path=""), dense=dense)
    answer = AnswerConfig(dense_model=dense.model)
    rows = []
    client = QdrantClient(":memory:")
    built = devsets.build_index(pages, config, embedder, client)
    rows.append(
        ("no entries", devsets.evaluate(questions, client, config, embedder, answer), built)
    )
    add_entries(client, config, embedder)
    with_ties = devsets.entries_win_ties
    devsets.entries_win_ties = lambda hits, matches: list(hits)  # no tie rule
    rows.append(
        (f"+ {len(ENTRIES)} entries, no tie rule",
         devsets.evaluate(questions, client, config, embedder, answer), built)
    )  # fmt: skip
    devsets.entries_win_ties = with_ties
    rows.append(
        (f"+ {len(ENTRIES)} entries, entries win ties",
         devsets.evaluate(questions, client, config, embedder, answer), built)
    )  # fmt: skip
    client.close()
    answerable = sum(q.answerable for q in questions)
    devsets.print_tables(
        f"German FAQ site, hybrid bundled: {answerable} answerable, "
        f"{len(questions) - answerable} unanswerable",
        rows,
    )


if __name__ == "__main__":
    main()
