"""The real German association site (../shared/data/sites/aspec), crawled and indexed by
Lotse on the embedded default without a language model: no document is titled with a
metadata placeholder, and no extractive answer to the questions below quotes a sentence cut
at an abbreviation, an ordinal or a date."""

from __future__ import annotations

import json
import re

import pytest

from rag.parsing.titles import is_placeholder
from tests.bench.sites import SiteProcess
from tests.conftest import require_shared_data
from tests.e2e.browser import LotseServer
from tests.helpers import REPO, clean_env

pytestmark = pytest.mark.timeout(600)

QUESTIONS = [
    "Was ist Aspec*German?",
    "Wie oft gibt es Treffen auf dem Server?",
    "Wer ist auf dem Server willkommen?",
    "Wie lautet die E-Mail-Adresse?",
    "Welche Lizenz haben die Texte der Website?",
    "Setzt die Website Cookies ein?",
    "Wann ist die Ace Week 2025?",
    "Wann ist der International Asexuality Day?",
    "Was bedeutet Aromantik?",
    "Welche Formen von Acefeindlichkeit gibt es?",
    "Was ist Erasure?",
    "Wo wird die Website gehostet?",
    "Wann ist der Internationale Tag der Asexualität?",
    "Wann feiern wir die Ace Week auf dem Server?",
    "Was geschah am 17. Mai 1990?",
    "Wann ist die Aro Week 2023?",
    "Wie kann ich meinen Nickname auf Discord ändern?",
    "Who is welcome on the Discord server?",
    "Are there English language community meetups?",
    "When is the Aro Week 2024?",
    "What does the brochure about aro and ace hostility cover?",
]
# each answer, and the full text of the passages it was made from (to check the cuts)
ASK_ALL = """
import asyncio, json
from backend.chat.retrieval import retrieve
from backend.chat.services import answer_events, collect_answer, start_turn
from backend.wiring import answer_config
async def one(question):
    turn = await start_turn(question)
    return await collect_answer(answer_events(turn))
answers = []
for question in json.loads(QUESTIONS):
    answer = asyncio.run(one(question))
    chunks = retrieve(question, [], answer_config().top_k)  # sync: it asks the database
    answers.append({**answer, "passages": [chunk.text for chunk in chunks]})
print(json.dumps(answers))
"""
TITLES = """
import json
from backend.documents.models import Document
print(json.dumps(list(Document.objects.values_list("url", "title", "status"))))
"""
# what a quote must never end with: an abbreviation, a lone letter ("z. B.", "u. a."), or a
# number with a full stop that starts a date or an ordinal ("am 14.", "1. Mai")
ABBREVIATION_END = re.compile(
    r"(?:\b(?:Dr|Prof|ca|bzw|Nr|Str|str|vgl|ggf|usw|etc|inkl|Mo|Di|Mi|Do|Fr|Sa|So|Jan|Feb|Okt"
    r"|Nov|Dez|Abs|St|evtl|max|min|Tel|z|u|d|e|s|v)\.|\b\d{1,2}\.)$"
)
CITATION = re.compile(r"\s*(?:\[\d+\])+\s*$")


@pytest.fixture(scope="module")
def aspec(tmp_path_factory):
    site_dir = require_shared_data("sites", "aspec")
    tmp = tmp_path_factory.mktemp("aspec")
    env = clean_env(
        LOTSE_VAR_DIR=str(tmp / "var"),
        CRAWLER_ALLOWED_NETWORKS="127.0.0.1/32",
        DJANGO_SETTINGS_MODULE="backend.settings.dev",
        DEBUG="false",
        LOG_LEVEL="WARNING",
    )
    server = LotseServer(env, tmp / "server.log")
    assert server.manage("migrate", "--noinput").returncode == 0
    with SiteProcess("static", "--root", str(site_dir)) as site:
        crawled = server.manage("crawl", site.base + "/", "--wait")
    assert crawled.returncode == 0, crawled.stdout + crawled.stderr
    return server


def quotes(answer: str) -> list[str]:
    """The quoted passages of an extractive answer: every line after the lead (and the
    language note), without the list dash and the citation."""
    lines = [line.strip() for line in answer.splitlines()[1:] if line.strip()]
    lines = [line for line in lines if CITATION.search(line)]
    return [CITATION.sub("", line.removeprefix("- ")) for line in lines]


def test_no_document_is_titled_with_a_placeholder(aspec):
    listed = aspec.manage("shell", "-c", TITLES)
    assert listed.returncode == 0, listed.stderr
    documents = json.loads(listed.stdout.strip().splitlines()[-1])
    indexed = [(url, title) for url, title, status in documents if status == "indexed"]
    assert len(indexed) >= 30
    assert any(url.endswith(".pdf") for url, _ in indexed)
    bad = [(url, title) for url, title in indexed if is_placeholder(title, url)]
    assert bad == []
    pdf_titles = {title for url, title in indexed if url.endswith(".pdf")}
    assert "Aro- und Acefeindlichkeiten" in pdf_titles  # the brochure's cover, not its file name


def _flat(passage: str) -> tuple[str, set[int], set[int]]:
    """The passage on one line, and where its lines started and ended there."""
    lines = [" ".join(line.split()) for line in passage.splitlines() if line.strip()]
    starts, ends, position = set(), set(), 0
    for line in lines:
        starts.add(position)
        ends.add(position + len(line))
        position += len(line) + 1
    return " ".join(lines), starts, ends


def cut_at_abbreviation(quote: str, passages: list[str]) -> bool:
    """Whether the quote ends at an abbreviation (or an ordinal) that its passage goes on
    after on the same line, or starts right after one: a sentence cut in two. A quote ending
    a line or list item there ("… deine Adresse etc.") is whole."""
    text = quote.removeprefix("… ").removesuffix(" …")
    for passage in passages:
        flat, starts, ends = _flat(passage)
        at = flat.find(text)
        if at < 0:
            continue
        end = at + len(text)
        ends_cut = bool(ABBREVIATION_END.search(text)) and end not in ends
        starts_cut = at not in starts and bool(ABBREVIATION_END.search(flat[:at].rstrip()))
        return ends_cut or starts_cut
    # not verbatim (list items joined with ";"): no quote may end at an abbreviation then
    return bool(ABBREVIATION_END.search(text)) and not text.endswith(("etc.", "usw."))


def test_extractive_answers_quote_whole_sentences(aspec):
    env_code = f"QUESTIONS = {json.dumps(json.dumps(QUESTIONS))}\n" + ASK_ALL
    asked = aspec.manage("shell", "-c", env_code)
    assert asked.returncode == 0, asked.stderr
    answers = json.loads(asked.stdout.strip().splitlines()[-1])
    (REPO / "test-artifacts").mkdir(exist_ok=True)
    (REPO / "test-artifacts" / "aspec-answers.json").write_text(
        json.dumps(
            [{"question": q, **a} for q, a in zip(QUESTIONS, answers, strict=True)], indent=1
        )
    )
    assert len(answers) == len(QUESTIONS)
    answered = 0
    for question, answer in zip(QUESTIONS, answers, strict=True):
        assert answer["answer"].strip(), question  # never an empty bubble
        if answer["outcome"] != "answered":
            continue
        answered += 1
        assert answer["sources"], question
        for quote in quotes(answer["answer"]):
            assert not cut_at_abbreviation(quote, answer["passages"]), (question, quote)
    # the list is about the site: most questions have an answer on it
    assert answered >= len(QUESTIONS) * 2 // 3, answered


@pytest.mark.parametrize(
    ("quote", "passage", "cut"),
    [
        ("Ansprechpartner*innen sind aktuell: Dr.", "Ansprechpartner*innen sind aktuell: Dr. "
         "Anna Schmidt.", True),
        ("Anna Schmidt und Jan Meier.", "Ansprechpartner sind: Dr. Anna Schmidt und Jan Meier.",
         True),
        ("Wir feiern am 14.", "Wir feiern am 14. Juni.", True),
        ("deine Adresse etc.", "gib nicht an: deine Adresse etc.\nNächster Punkt", False),
        ("Programm: Sonntag 18.02.", "Programm:\n\nSonntag 18.02.\n\n- 15 Uhr Beginn", False),
        ("Programm: Sonntag 18.", "Programm:\n\nSonntag 18. Februar", True),
        ("Der Beitrag beträgt ca. 120 Euro.", "Der Beitrag beträgt ca. 120 Euro. Kinder zahlen "
         "weniger.", False),
    ],
)  # fmt: skip
def test_the_cut_check_itself(quote, passage, cut):
    assert cut_at_abbreviation(quote, [passage]) is cut
