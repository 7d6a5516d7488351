"""Document titles people recognise, and the placeholders that are never one.

Office programs and layout tools fill in a PDF's title on their own ("Layout 1", "Folie 1",
"PowerPoint-Präsentation", "Microsoft Word - flyer.docx", "Dr" from a letterhead); CMS
templates do the same for pages ("Untitled", "Titel", "Startseite"). :func:`is_placeholder`
recognises them by their form, not by a list of strings: a generic document word with at
most a number, an application's "Name - file" pattern, a file name or path, an identifier
without spaces (underscores, version numbers), too few letters to name anything, or the
URL itself. :func:`choose_title` takes the first candidate that is none of these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

# Words that name the kind of a thing, never its subject. With an optional number and
# punctuation around them they are a template's default title.
_GENERIC_WORDS = (
    r"untitled|unbenannt|ohne\s+titel|no\s+title|titel|title|layout|folie|slide|seite|page"
    r"|dokument|document|doc|pdf|datei|file|präsentation|presentation|vortrag|vorlage"
    r"|template|entwurf|draft|neues\s+dokument|new\s+document|tabelle|sheet|chart"
    r"|bild|image|scan|flyer|broschüre|brochure|default"
    r"|powerpoint(?:-|\s+)?(?:präsentation|presentation)?|word(?:-|\s+)?dokument"
)
_GENERIC = re.compile(rf"^\W*(?:{_GENERIC_WORDS})[\W\d_]*(?:\d+)?\W*$", re.I)
# "Microsoft Word - Einladung.docx", "Adobe InDesign - x", "PowerPoint - Folie"
_APPLICATION = re.compile(
    r"^(microsoft|adobe|libreoffice|openoffice|google|apple|acrobat|indesign|quarkxpress)\b", re.I
)
_FILE_NAME = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|odp|rtf|txt|indd|qxp|ai|psd|jpe?g|png|tiff?|html?|php)\s*$",
    re.I,
)
_PATH = re.compile(r"^[a-z]:\\|^/|\\|^\w+://", re.I)
_LETTER = re.compile(r"[^\W\d_]")
# anchor texts that say what a link does, not what it leads to
_LINK_WORDS = re.compile(
    r"^\W*(hier|here|klicken\s+sie\s+hier|click\s+here|download|herunterladen|mehr|more"
    r"|weiter(?:lesen)?|read\s+more|link|öffnen|open|ansehen|view|pdf|datei|file)\W*"
    # "(PDF, 2 MB)"
    r"(?:(?:pdf|docx?|xlsx?|\d+(?:[,.]\d+)?\s*[kmg]?b)\W*)*$",
    re.I,
)
MAX_TITLE_CHARS = 160


def clean_title(text: str) -> str:
    return " ".join((text or "").split())


def is_placeholder(title: str, url: str = "") -> bool:
    """Whether ``title`` is a default or technical name instead of the document's own."""
    title = clean_title(title)
    if len(_LETTER.findall(title)) < 3 or len(title) > MAX_TITLE_CHARS:
        return True
    if _GENERIC.match(title) or _APPLICATION.match(title) or _LINK_WORDS.match(title):
        return True
    if _FILE_NAME.search(title) or _PATH.search(title):
        return True
    # an identifier: no space, but underscores or a mix of letters and digits ("v2_4_Aro")
    if " " not in title and ("_" in title or (re.search(r"\d", title) and len(title) > 12)):
        return True
    if url:
        # the URL, or the file's name without its extension ("v2_4_Flyer" for .../v2_4_Flyer.pdf);
        # a page's slug ("/membership/" for "Membership") is the title's echo, not a placeholder
        path = unquote(urlsplit(url).path).rstrip("/")
        last = path.rsplit("/", 1)[-1]
        stem = last.rsplit(".", 1)[0] if "." in last else ""
        if title.lower() in {url.lower(), path.lower(), stem.lower()} - {""}:
            return True
    return False


def name_from_url(url: str) -> str:
    """A readable name from the URL's last path segment: the last resort for a title."""
    path = unquote(urlsplit(url).path).rstrip("/")
    last = path.rsplit("/", 1)[-1] or urlsplit(url).hostname or url
    stem = re.sub(r"\.\w{2,4}$", "", last)
    # version prefixes and separators of file names: "v2_4_Aro_und_Ace-Flyer" -> "Aro und Ace-Flyer"
    stem = re.sub(r"^(v\d+([_.]\d+)*[_-]+)", "", stem, flags=re.I)
    words = re.sub(r"[_+]+", " ", stem).strip()
    return clean_title(words) or url


def is_url_name(title: str, url: str) -> bool:
    """Whether ``title`` is only the fallback name from the URL (a better hint may replace it)."""
    return title == name_from_url(url)


def choose_title(candidates: Iterable[str], url: str) -> str:
    """The first candidate that is a real title, else a readable name from the URL."""
    for candidate in candidates:
        title = clean_title(candidate)
        if title and not is_placeholder(title, url):
            return title
    return name_from_url(url)
