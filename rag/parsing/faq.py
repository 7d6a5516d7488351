"""FAQ markup as headings, so a question and its answer become one section (one chunk).

Sites write FAQs in many ways, and ``unstructured`` loses most of them: it drops
``<details>``/``<summary>`` as boilerplate, reads a ``<dl>`` as a flat list, sees a bold
question paragraph as plain text, and Lotse itself drops ``<button>`` (the question of most
JavaScript accordions) as page chrome, together with answer panels that are hidden until
clicked. This rewrites the cleaned main region in place before partitioning:

* ``<details><summary>Q</summary>A</details>``: the summary becomes a heading;
* ``<dl>`` whose terms include a question: every ``<dt>`` a heading, every ``<dd>`` a block;
* a paragraph that is nothing but a bold question (``<p><strong>Q?</strong></p>``): a heading;
* an accordion button with a question: a heading (inside a heading: just its text), and the
  panel it controls (``aria-controls``) is un-hidden.

A new heading is one level below the last real heading before it, so consecutive questions
are siblings under their section. Pure lxml, no I/O.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SPACES = re.compile(r"\s+")
_BLOCK_PARENTS = frozenset({"p", "div", "li"})


def is_question(text: str) -> bool:
    """A heading that asks: ends with a question mark (German and English alike)."""
    return text.rstrip().rstrip(":").rstrip().endswith("?")


def _text(element: HtmlElement) -> str:
    return _SPACES.sub(" ", element.text_content()).strip()


def _to_heading(element: HtmlElement, level: int) -> None:
    text = _text(element)
    for child in list(element):
        element.remove(child)
    element.tag = f"h{min(6, max(1, level))}"
    element.text = text
    for name in list(element.attrib):
        del element.attrib[name]


def _unhide(element: HtmlElement) -> None:
    for name in ("hidden", "aria-hidden"):
        element.attrib.pop(name, None)
    style = element.get("style")
    if style:
        kept = [rule for rule in style.split(";") if "display" not in rule.replace(" ", "")]
        element.set("style", ";".join(kept))


def _bold_question(element: HtmlElement) -> bool:
    """``<p><strong>Frage?</strong></p>``: all of the paragraph's text is in one bold child."""
    children = [child for child in element if isinstance(child.tag, str)]
    if len(children) != 1 or children[0].tag not in ("strong", "b"):
        return False
    text = _text(element)
    return bool(text) and text == _text(children[0]) and is_question(text)


def restructure_faq(main: HtmlElement) -> int:
    """Rewrite the FAQ markup under ``main`` into headings; returns how many were made."""
    panels = {}
    for element in main.iter():
        if isinstance(element.tag, str) and element.get("id"):
            panels[element.get("id")] = element
    level = 1
    made = 0
    to_unwrap: list[HtmlElement] = []
    # a list first: the loop changes tags, and iterating a tree while changing it skips nodes
    for element in list(main.iter()):
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _HEADINGS and element.get("data-lotse-faq") is None:
            level = int(tag[1])
            buttons = element.findall(".//button")
            for button in buttons:  # an accordion's question inside a heading: keep its text
                _unhide_controlled(button, panels)
                button.drop_tag()
            continue
        if tag == "summary":
            parent = element.getparent()
            _to_heading(element, level + 1)
            element.set("data-lotse-faq", "")
            made += 1
            if parent is not None and parent.tag == "details":
                to_unwrap.append(parent)
        elif tag == "dl" and any(is_question(_text(dt)) for dt in element.findall("dt")):
            for child in list(element):
                if child.tag == "dt":
                    _to_heading(child, level + 1)
                    child.set("data-lotse-faq", "")
                    made += 1
                elif child.tag == "dd":
                    child.tag = "div"
            to_unwrap.append(element)
        elif tag == "button" and is_question(_text(element)):
            _unhide_controlled(element, panels)
            _to_heading(element, level + 1)
            element.set("data-lotse-faq", "")
            made += 1
        elif tag in _BLOCK_PARENTS and _bold_question(element):
            _to_heading(element, level + 1)
            element.set("data-lotse-faq", "")
            made += 1
    for element in to_unwrap:
        if element.getparent() is not None:
            element.drop_tag()
    for element in main.iter(*_HEADINGS):
        element.attrib.pop("data-lotse-faq", None)
    return made


def _unhide_controlled(control: HtmlElement, panels: dict) -> None:
    for panel_id in (control.get("aria-controls") or "").split():
        panel = panels.get(panel_id)
        if panel is not None:
            _unhide(panel)
