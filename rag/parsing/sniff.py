"""What an uploaded file is, by its content: the extension says what it should be, the first
bytes (and, for a zip, its members) must agree, or the file is refused with a reason.

This runs before anything is stored, on the file as uploaded; parsing runs later in a task.
A DOCX or ODT whose parts claim to unpack past the limit is refused here already (the parser
bounds its reads as well, since a zip's claims can lie).
"""

from __future__ import annotations

import io
import re
import zipfile

from rag.errors import PermanentError

# kind -> (the extensions it has, the content type it is stored and served with)
KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "pdf": ((".pdf",), "application/pdf"),
    "docx": ((".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "odt": ((".odt",), "application/vnd.oasis.opendocument.text"),
    "html": ((".html", ".htm"), "text/html; charset=utf-8"),
    "text": ((".txt",), "text/plain; charset=utf-8"),
    "markdown": ((".md", ".markdown"), "text/markdown; charset=utf-8"),
}
ODT_MIME = b"application/vnd.oasis.opendocument.text"
_HTML_TAG = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|title|p|div|h[1-6]|article|section|main|table|ul|ol)\b",
    re.I,
)
# first bytes of files that are never text (PDF, zip, images, executables, office binaries)
_BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x7fELF",
                 b"MZ", b"\xd0\xcf\x11\xe0", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")  # fmt: skip


class RejectedUpload(PermanentError):
    """The file is not what its name says, or cannot be taken at all."""


def kind_for_name(name: str) -> str:
    lower = name.lower()
    for kind, (extensions, _type) in KINDS.items():
        if lower.endswith(extensions):
            return kind
    allowed = ", ".join(ext for extensions, _type in KINDS.values() for ext in extensions)
    raise RejectedUpload(f"“{name}”: files of this type cannot be uploaded (allowed: {allowed})")


def content_type_of(kind: str) -> str:
    return KINDS[kind][1]


def _zip_members(body: bytes, name: str, max_unpacked: int) -> dict[str, zipfile.ZipInfo]:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            members = {info.filename: info for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise RejectedUpload(f"“{name}” is not a readable document ({exc})") from exc
    if sum(info.file_size for info in members.values()) > max_unpacked:
        raise RejectedUpload(
            f"“{name}” unpacks to more than {max_unpacked // 2**20} MB: it is refused as a "
            "possible zip bomb"
        )
    return members


def _looks_like_text(body: bytes) -> bool:
    head = body[:65536]
    if head.startswith(_BINARY_MAGIC) or b"\x00" in head:
        return False
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the sample's end
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return True


def sniff_upload(name: str, body: bytes, *, max_unpacked: int) -> str:
    """The kind of an uploaded file ("pdf", "docx", "odt", "html", "text", "markdown"), when
    its content is what its extension says; raises :class:`RejectedUpload` otherwise."""
    kind = kind_for_name(name)
    if not body.strip():
        raise RejectedUpload(f"“{name}” is empty")
    mismatch = RejectedUpload(
        f"“{name}” is not a {kind.upper() if kind != 'markdown' else 'Markdown'} file: its "
        "content does not match its extension"
    )
    if kind == "pdf":
        if b"%PDF-" not in body[:1024]:
            raise mismatch
    elif kind in ("docx", "odt"):
        if not body.startswith(b"PK\x03\x04"):
            raise mismatch
        members = _zip_members(body, name, max_unpacked)
        if kind == "docx" and "word/document.xml" not in members:
            raise mismatch
        if kind == "odt":
            mimetype = members.get("mimetype")
            if mimetype is None or "content.xml" not in members:
                raise mismatch
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                if archive.read(mimetype)[:100].strip() != ODT_MIME:
                    raise mismatch
    else:
        if not _looks_like_text(body):
            raise mismatch
        if kind == "html" and not _HTML_TAG.search(body[:65536]):
            raise mismatch
    return kind
