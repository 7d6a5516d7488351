"""End-to-end fixtures: a small German association site served on 127.0.0.1."""

from __future__ import annotations

import pytest

from backend.ops import stores
from backend.ops.embedded import release_embedded_stores
from tests.crawler.sites import Answer, Site, html
from tests.e2e.mediawiki import mediawiki  # noqa: F401 (the session's wiki, for every module)

PAGES = {
    "/": (
        "Turnverein Beispielstadt",
        ["/training/", "/beitraege/", "/satzung.pdf"],
        "Willkommen beim Turnverein Beispielstadt. Hier finden Sie alles über unseren Verein.",
    ),
    "/training/": (
        "Trainingszeiten",
        ["/"],
        "Das Kinderturnen findet jeden Dienstag von 16 bis 17 Uhr in der Sporthalle "
        "am Marktplatz statt. Erwachsene trainieren donnerstags ab 19 Uhr.",
    ),
    "/beitraege/": (
        "Mitgliedsbeiträge",
        ["/"],
        "Der Jahresbeitrag beträgt für Erwachsene 120 Euro und für Kinder 60 Euro. "
        "Die Anmeldefrist für neue Mitglieder endet am 31. März.",
    ),
}


def page(path: str, *, text: str | None = None) -> Answer:
    title, links, body = PAGES[path]
    answer = html(title, *links)
    nav = "<nav><a href='/'>Start</a> | <a href='/training/'>Training</a></nav>"
    content = f"<main><h1>{title}</h1><p>{text or body}</p></main>"
    answer.body = answer.body.replace(b"<body>", f"<body>{nav}{content}".encode())
    return answer


def satzung_pdf() -> Answer:
    from tests.rag.conftest import make_pdf

    body = make_pdf(
        [
            [
                ("h1", "Satzung des Turnvereins"),
                ("p", "Paragraph 3: Die Mitgliederversammlung findet einmal im Jahr im Mai statt."),
            ]
        ],
        title="Satzung",
    )
    return Answer(body=body, headers={"Content-Type": "application/pdf"})


@pytest.fixture
def verein_site():
    routes = {path: page(path) for path in PAGES}
    routes["/satzung.pdf"] = satzung_pdf()
    routes["/robots.txt"] = Answer(
        body=b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"}
    )
    with Site(routes) as site:
        yield site


@pytest.fixture
def fresh_embedded_stores():
    """Each test opens the stores anew (and lets a worker subprocess take them if it wants)."""
    stores.close_stores()
    release_embedded_stores()
    yield
    stores.close_stores()
    release_embedded_stores()
