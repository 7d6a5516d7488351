"""The widget's script, the demo page and the admin's script-tag page, without a browser."""

from __future__ import annotations

import gzip
import os
import re

import pytest
from django.test import override_settings
from django.urls import reverse

from backend.widget import views
from backend.widget.snippet import WidgetOptions, script_tag
from backend.widget.views import WIDGET_PARTS, WIDGET_SRC, load_script

MAX_GZIPPED_BYTES = 30 * 1024
SOURCE = load_script().body.decode("utf-8")
# the code without its comments (which may name what the code must not do)
CODE = re.sub(r"^\s*//.*$", "", re.sub(r"/\*.*?\*/", "", SOURCE, flags=re.S), flags=re.M)


def test_widget_is_at_most_30_kb_gzipped():
    size = len(gzip.compress(SOURCE.encode("utf-8"), compresslevel=9))
    assert size <= MAX_GZIPPED_BYTES, f"widget.js is {size} bytes gzipped"


@pytest.mark.parametrize(
    "sink",
    ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"],
)
def test_widget_never_parses_strings_as_html_or_code(sink):
    assert sink not in CODE


def test_widget_loads_nothing_from_elsewhere():
    # one request for the script, then only the chat API: no CDN, fonts or images
    urls = set(re.findall(r"https?://[^\s'\"]+", CODE))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    assert "import(" not in CODE and "@import" not in CODE


def test_every_ui_text_exists_in_german_and_english():
    blocks = re.search(r"var TEXTS = \{\s*de: \{(.*?)\n    \},\s*en: \{(.*?)\n    \}", SOURCE, re.S)
    keys = [set(re.findall(r"^\s*(\w+):", block, re.M)) for block in blocks.groups()]
    assert keys[0] == keys[1] and len(keys[0]) > 20


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            WidgetOptions(),
            '<script src="https://chat.example.org/widget/widget.js" defer></script>',
        ),
        (
            WidgetOptions(language="en", color="#aa0000", position="bottom-left", sources=(3, 1)),
            '<script src="https://chat.example.org/widget/widget.js" data-language="en" '
            'data-color="#aa0000" data-position="bottom-left" data-sources="3,1" defer></script>',
        ),
        (
            WidgetOptions(title='"><script>alert(1)</script>', suggestions=("A | B?", " ", "C?")),
            '<script src="https://chat.example.org/widget/widget.js" '
            'data-title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" '
            'data-suggestions="A / B?|C?" defer></script>',
        ),
        # Matomo events only when asked for; the questions' text only with them
        (
            WidgetOptions(matomo=True, matomo_questions=True),
            '<script src="https://chat.example.org/widget/widget.js" data-matomo="on" '
            'data-matomo-questions="on" defer></script>',
        ),
        (
            WidgetOptions(matomo_questions=True),
            '<script src="https://chat.example.org/widget/widget.js" defer></script>',
        ),
        # unknown values are left out, so the widget uses its defaults
        (
            WidgetOptions(language="fr", position="top"),
            '<script src="https://chat.example.org/widget/widget.js" defer></script>',
        ),
    ],
)
def test_script_tag(options, expected):
    assert script_tag("https://chat.example.org/widget/widget.js", options) == expected


def test_script_is_served_gzipped_with_caching_headers(client):
    response = client.get("/widget/widget.js", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == b"".join(p.read_bytes() for p in WIDGET_PARTS)
    assert len(response.content) <= MAX_GZIPPED_BYTES
    assert "max-age" in response["Cache-Control"]
    again = client.get("/widget/widget.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    plain = client.get("/widget/widget.js")
    assert plain.content == b"".join(p.read_bytes() for p in WIDGET_PARTS)


def test_every_part_in_the_folder_is_joined():
    assert sorted(WIDGET_PARTS) == sorted(WIDGET_SRC.glob("*.js"))


def test_the_parts_make_one_closure():
    """Part 1 opens the function all parts run in, the last part closes it, none other does."""
    lines = [part.read_text(encoding="utf-8").splitlines() for part in WIDGET_PARTS]
    opens = [i for i, part in enumerate(lines) if "(function () {" in part]
    closes = [i for i, part in enumerate(lines) if "})();" in part]
    assert opens == [0] and closes == [len(lines) - 1]


def test_an_edited_part_is_served_without_a_restart(tmp_path, monkeypatch):
    parts = [tmp_path / "a.js", tmp_path / "b.js"]
    parts[0].write_text("(function () {\n")
    parts[1].write_text("})();\n")
    monkeypatch.setattr(views, "WIDGET_PARTS", tuple(parts))
    before = load_script()
    assert before.body == b"(function () {\n})();\n"
    parts[1].write_text("  var edited = 1;\n})();\n")
    os.utime(parts[1], ns=(parts[1].stat().st_atime_ns, parts[1].stat().st_mtime_ns + 10**9))
    after = load_script()
    assert after.body == b"(function () {\n  var edited = 1;\n})();\n"
    assert after.etag != before.etag
    assert gzip.decompress(after.gzipped) == after.body


def test_demo_page_embeds_the_widget_like_a_customer(client):
    page = client.get("/demo/").content.decode()
    assert '<html lang="de">' in page
    # no suggestions of its own: the widget shows the editors' (Chat texts)
    assert '<script src="http://testserver/widget/widget.js" data-language="de" defer>' in page
    assert "data-suggestions" not in page and "data-greeting" not in page
    english = client.get("/demo/", {"lang": "en"}).content.decode()
    assert 'data-language="en"' in english


@pytest.mark.django_db
def test_script_tag_page_lists_the_allowed_origins_or_warns_in_red(admin_client):
    url = reverse("widget-snippet")
    with override_settings(WEBSITE_HOST=["https://www.verein.example"]):
        page = admin_client.get(url).content.decode()
    assert "<li><code>https://www.verein.example</code></li>" in page
    assert "widget-no-origins" not in page
    with override_settings(WEBSITE_HOST=[]):
        page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'id="widget-no-origins" role="alert"' in page and "color: #ba2121" in page
    assert "Noch darf keine Website den Chat nutzen" in page


@pytest.mark.django_db
def test_admin_page_builds_the_tag_from_the_form(admin_client):
    from backend.sources.models import Source

    source = Source.objects.create(name="Verein", start_urls="https://verein.example/")
    url = reverse("widget-snippet")
    page = admin_client.get(url).content.decode()
    assert "&lt;script src=&quot;http://testserver/widget/widget.js&quot; defer&gt;" in page
    query = {
        "language": "en",
        "title": "Help",
        "color": "#112233",
        "position": "bottom-left",
        "sources": [str(source.pk)],
        "suggestions": "One?\nTwo?",
        "format": "json",
    }
    data = admin_client.get(url, query).json()
    assert data["errors"] == {}
    assert data["snippet"] == (
        '<script src="http://testserver/widget/widget.js" data-language="en" data-title="Help" '
        f'data-color="#112233" data-position="bottom-left" data-sources="{source.pk}" '
        'data-suggestions="One?|Two?" defer></script>'
    )
    bad = admin_client.get(url, {"color": "red", "format": "json"}).json()
    assert "color" in bad["errors"]
    matomo = {"matomo": "on", "matomo_questions": "on", "format": "json"}
    assert admin_client.get(url, matomo).json()["snippet"] == (
        '<script src="http://testserver/widget/widget.js" data-matomo="on" '
        'data-matomo-questions="on" defer></script>'
    )


@pytest.mark.django_db
def test_admin_page_needs_staff_and_is_linked_from_the_index(client, admin_client):
    assert client.get(reverse("widget-snippet")).status_code == 302  # to the login
    assert reverse("widget-snippet") in admin_client.get("/admin/").content.decode()
