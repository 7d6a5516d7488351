from __future__ import annotations

import pytest

from rag.config import ChunkingConfig, ParsingConfig, RagConfig, VectorStoreConfig
from rag.errors import DocumentParseError, PermanentError
from rag.ingest import collection_for, ingest
from rag.retrieval import search
from rag.store import open_vector_client
from tests.rag.conftest import make_pdf


def page(title: str, *sections: tuple[str, str]) -> bytes:
    body = "".join(f"<h2>{heading}</h2><p>{text}</p>" for heading, text in sections)
    return (
        f"<html lang='de'><head><title>{title}</title></head><body><nav>Start Kontakt</nav>"
        f"<main><h1>{title}</h1>{body}</main><footer>Impressum</footer></body></html>"
    ).encode()


SITE = {
    "https://stadt.example/buergerbuero": page(
        "Bürgerbüro",
        ("Öffnungszeiten", "Das Bürgerbüro ist montags bis freitags von 8 bis 18 Uhr geöffnet."),
        ("Personalausweis", "Einen neuen Personalausweis beantragen Sie persönlich im "
         "Bürgerbüro. Bringen Sie ein biometrisches Passfoto mit. Die Gebühr beträgt 37 Euro."),
    ),
    "https://stadt.example/abfall": page(
        "Abfallentsorgung",
        ("Sperrmüll", "Sperrmüll wird zweimal im Jahr kostenlos abgeholt. Melden Sie den "
         "Abholtermin online oder telefonisch beim Abfallwirtschaftsbetrieb an."),
        ("Biotonne", "Die Biotonne wird wöchentlich geleert, im Winter alle zwei Wochen."),
    ),
    "https://stadt.example/bibliothek": page(
        "Stadtbibliothek",
        ("Ausleihe", "Medien können vier Wochen ausgeliehen und zweimal verlängert werden."),
        ("Ausweis", "Der Bibliotheksausweis kostet für Erwachsene zwölf Euro im Jahr."),
    ),
}  # fmt: skip


@pytest.fixture
def config(tmp_path) -> RagConfig:
    return RagConfig(
        vector_store=VectorStoreConfig(url="", path=""),
        parsing=ParsingConfig(cache_dir=str(tmp_path / "parse-cache")),
        # small chunks so each section of the test pages is its own chunk
        chunking=ChunkingConfig(max_chars=400, min_chars=0),
    )


def all_points(client, collection: str) -> dict[str, dict]:
    points, _ = client.scroll(collection, limit=1000, with_payload=True, with_vectors=True)
    return {str(p.id): {"payload": p.payload, "vector": p.vector} for p in points}


def ingest_site(client, config: RagConfig) -> None:
    for number, (url, body) in enumerate(SITE.items()):
        ingest(body, "text/html", url, f"doc-{number}", "src-1", config, client)


def test_ingest_twice_leaves_the_same_points(qdrant, config):
    url, body = next(iter(SITE.items()))
    first = ingest(body, "text/html; charset=utf-8", url, "doc-1", "src-1", config, qdrant)
    before = all_points(qdrant, first.collection)

    second = ingest(body, "text/html; charset=utf-8", url, "doc-1", "src-1", config, qdrant)

    assert second.chunk_count == first.chunk_count == len(before) >= 2
    assert all_points(qdrant, first.collection) == before
    assert (first.title, first.language) == ("Bürgerbüro", "de")


def test_ingest_of_a_shorter_version_drops_the_stale_chunks(qdrant, config):
    url = "https://stadt.example/buergerbuero"
    ingest(SITE[url], "text/html", url, "doc-1", "src-1", config, qdrant)

    shorter = page("Bürgerbüro", ("Hinweis", "Das Bürgerbüro ist umgezogen."))
    result = ingest(shorter, "text/html", url, "doc-1", "src-1", config, qdrant)

    texts = [p["payload"]["text"] for p in all_points(qdrant, result.collection).values()]
    assert result.chunk_count == len(texts) == 1
    assert texts == ["Das Bürgerbüro ist umgezogen."]


def test_ingest_pdf_keeps_pages(qdrant, config):
    body = make_pdf(
        [
            [("h1", "Gebührenordnung"), ("p", "Die Gebühren gelten ab dem ersten Januar.")],
            [("h2", "Mahngebühren"), ("p", "Für jede Mahnung werden fünf Euro berechnet.")],
        ]
    )
    result = ingest(
        body, "application/pdf", "https://stadt.example/g.pdf", "pdf-1", "src-1", config, qdrant
    )

    (hit,) = search(qdrant, result.collection, "Was kostet eine Mahnung?", k=1)
    assert result.page_count == 2
    assert (hit.page, hit.heading_path) == (2, ("Gebührenordnung", "Mahngebühren"))


def test_broken_input_raises_a_permanent_error_and_writes_nothing(qdrant, config):
    with pytest.raises(DocumentParseError) as info:
        ingest(b"%PDF-1.4 kaputt", "application/pdf", "https://x/y.pdf", "d", "s", config, qdrant)
    assert isinstance(info.value, PermanentError) and info.value.reason
    assert not qdrant.collection_exists(collection_for(config))


@pytest.mark.parametrize(
    ("question", "url", "heading"),
    [
        ("Was kostet ein neuer Personalausweis?", "https://stadt.example/buergerbuero", "Personalausweis"),
        ("Wann hat das Bürgerbüro geöffnet?", "https://stadt.example/buergerbuero", "Öffnungszeiten"),
        ("Wie melde ich Sperrmüll an?", "https://stadt.example/abfall", "Sperrmüll"),
        ("Wie oft wird die Biotonne geleert?", "https://stadt.example/abfall", "Biotonne"),
        ("Wie lange darf ich Bücher ausleihen?", "https://stadt.example/bibliothek", "Ausleihe"),
        ("Was kostet der Ausweis der Bibliothek?", "https://stadt.example/bibliothek", "Ausweis"),
    ],
)  # fmt: skip
def test_german_question_finds_the_right_chunk(qdrant, config, question, url, heading):
    ingest_site(qdrant, config)

    hits = search(qdrant, collection_for(config), question, k=3)

    assert hits and (hits[0].url, hits[0].heading_path[-1]) == (url, heading)
    assert hits[0].score >= hits[-1].score
    assert hits[0].source_id == "src-1" and hits[0].title


def test_search_filters_by_source(qdrant, config):
    url, body = next(iter(SITE.items()))
    ingest(body, "text/html", url, "doc-a", "src-a", config, qdrant)
    ingest(body, "text/html", url + "?b", "doc-b", "src-b", config, qdrant)

    hits = search(qdrant, collection_for(config), "Personalausweis", k=10, source_ids=["src-b"])

    assert hits and {hit.source_id for hit in hits} == {"src-b"}
    assert search(qdrant, collection_for(config), "der die das", k=3) == []


def test_ingest_into_a_local_qdrant_folder(tmp_path, config):
    store = VectorStoreConfig(url="", path=str(tmp_path / "qdrant"))
    client = open_vector_client(store)
    try:
        url, body = next(iter(SITE.items()))
        result = ingest(body, "text/html", url, "doc-1", "src-1", config, client)
        assert client.count(result.collection).count == result.chunk_count
    finally:
        client.close()
