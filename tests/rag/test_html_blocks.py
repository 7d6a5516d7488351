"""rag.parsing.html_blocks splits cleaned HTML as unstructured 0.27's HTML partitioner did.

The expected blocks below are what Lotse got from unstructured 0.27.32 (``partition_html``,
reduced to kind, text and heading level as rag.parsing.html used to) for the same markup,
recorded when the partitioner was replaced; the same comparison over 765 HTML files (the aspec
site and the HTML documentation installed on the development machine) found no difference.
"""

from __future__ import annotations

import pytest

from rag.parsing.html_blocks import html_blocks

CASES = [
    ("<p>a <span>b <div>c</div> d</span> e</p>", [("text", "a b d e")]),
    (
        "<h2>Title <br> more</h2><h3>A<div>B</div>C</h3>",
        [("heading", "Title more", 2), ("heading", "A", 3)],
    ),
    (
        "<ul><li>one</li><li><p>adopted <b>bold</b></p></li><li><p>x</p><p>y</p></li><li>item<ul><li>sub</li></ul> tail text</li></ul>",
        [
            ("list_item", "one"),
            ("list_item", "adopted bold"),
            ("list_item", "item"),
            ("list_item", "sub"),
            ("text", "tail text"),
        ],
    ),
    (
        "<p>• bullet para</p><p>- dash para</p><p>-123.45</p><p>x</p><p>ab</p><p>* star</p><li>• kept bullet</li>",
        [
            ("list_item", "bullet para"),
            ("list_item", "dash para"),
            ("text", "-123.45"),
            ("text", "ab"),
            ("list_item", "star"),
            ("list_item", "• kept bullet"),
        ],
    ),
    (
        "<table><caption>Cap</caption><thead><tr><th>H1</th><th>H2</th></tr></thead><tbody><tr><td>a <b>b</b></td><td>c</td></tr><tr><td></td></tr></tbody></table><table><caption>only</caption></table>",
        [("table", "Cap H1 H2 a b c")],
    ),
    (
        "<pre>\n  code   here\n  more\n</pre><pre>x</pre>",
        [("text", "code here more"), ("text", "x")],
    ),
    ("<p>text <img src=x.png alt=alt> more text</p>", [("text", "text"), ("text", "more text")]),
    (
        "<form><p>in form</p></form><p>after <button>btn</button> tail <label>l</label> end</p>",
        [("text", "after tail end")],
    ),
    (
        "<div>div text <p>para</p> div tail <i>it</i></div>",
        [("text", "div text"), ("text", "para"), ("text", "div tail it")],
    ),
    (
        "<details><summary>S</summary><p>hidden</p></details><figure><figcaption>c</figcaption></figure><hr>after hr",
        [("text", "after hr")],
    ),
    (
        "<p>a<math alttext='x^2'><mi>x</mi></math> b</p><math display='block' alttext='E=mc^2'></math>",
        [("text", "ax^2 b"), ("text", "E=mc^2")],
    ),
    (
        "<dl><dt>Term</dt><dd>Definition text</dd></dl>",
        [("text", "Term"), ("list_item", "Definition text")],
    ),
    (
        "<custom-el>custom text <div>block in custom</div> after</custom-el>",
        [("text", "custom text"), ("text", "block in custom"), ("text", "after")],
    ),
    (
        "<p>del <del>removed</del> kept</p><p>x&nbsp;&nbsp;y\xa0z</p>",
        [("text", "del kept"), ("text", "x y z")],
    ),
    (
        "<blockquote>quote <p>inner</p></blockquote><address>Street 1</address>",
        [("text", "quote"), ("text", "inner"), ("text", "Street 1")],
    ),
    (
        "<a href='/x'>link <div>block in link</div> rest</a>",
        [("text", "link"), ("text", "block in link"), ("text", "rest")],
    ),
    ("<h1></h1><h4>   </h4><p> </p><h6>Deep</h6>", [("heading", "Deep", 6)]),
    (
        "<table><tr><td>x<table><tr><td>nested</td></tr></table></td></tr></table>",
        [("table", "x nested")],
    ),
    (
        "<ol><li><div>only div</div></li><li><div>div <p>p</p></div></li><li><span>span only</span></li></ol>",
        [("list_item", "only div"), ("text", "div"), ("list_item", "span only")],
    ),
    (
        "<p>line1<br>line2<br/>line3</p><p>–  en dash item</p><p>a-b</p>",
        [("text", "line1 line2 line3"), ("list_item", "en dash item"), ("text", "a-b")],
    ),
    ("<main><p>in main</p></main><p>outside main</p>", [("text", "in main")]),
    (
        "<section><h2>S</h2>Loose text<table><tr><td>t</td></tr></table>tail after table</section>",
        [("heading", "S", 2), ("text", "Loose text"), ("table", "t"), ("text", "tail after table")],
    ),
    (
        "<p><select><option>o</option></select>after select</p><p><svg><text>svgtext</text></svg>after svg</p>",
        [("text", "after select"), ("text", "after svg")],
    ),
    ("<li>●</li><p>●</p><p>●● two</p>", [("list_item", "●"), ("text", "●● two")]),
]


def as_tuples(blocks):
    return [(b.kind, b.text, b.level) if b.kind == "heading" else (b.kind, b.text) for b in blocks]


@pytest.mark.parametrize(("markup", "expected"), CASES)
def test_blocks_as_unstructured_made_them(markup, expected):
    assert as_tuples(html_blocks(f"<html><body>{markup}</body></html>")) == expected


def test_nothing_to_split():
    assert html_blocks("") == []
    assert html_blocks("<html><body>   </body></html>") == []
    assert (
        html_blocks("<?xml version='1.0' encoding='utf-8'?><p>declared</p>")[0].text == "declared"
    )
