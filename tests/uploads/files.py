"""Files as editors upload them, written by the libraries that make them (python-docx,
odfpy, pypdf), never by hand; real PDFs come from ../shared/data/pdf."""

from __future__ import annotations

import io
import zipfile

from tests.conftest import require_shared_data

GEOTOPO = ("pdf", "sample-files", "009-pdflatex-geotopo", "GeoTopo-komprimiert.pdf")
ENCRYPTED = ("pdf", "sample-files", "005-libreoffice-writer-password",
             "libreoffice-writer-password.pdf")  # fmt: skip


def docx(*sections: tuple[str, list[str]], table: list[list[str]] | None = None) -> bytes:
    from docx import Document

    document = Document()
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for text in paragraphs:
            if text.startswith("- "):
                document.add_paragraph(text[2:], style="List Bullet")
            else:
                document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def odt(*sections: tuple[str, list[str]]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, List, ListItem, P

    document = OpenDocumentText()
    for heading, paragraphs in sections:
        document.text.addElement(H(outlinelevel=1, text=heading))
        items = [text[2:] for text in paragraphs if text.startswith("- ")]
        for text in paragraphs:
            if not text.startswith("- "):
                document.text.addElement(P(text=text))
        if items:
            listing = List()
            for item in items:
                entry = ListItem()
                entry.addElement(P(text=item))
                listing.addElement(entry)
            document.text.addElement(listing)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def zip_bomb_docx(unpacked_mb: int = 300) -> bytes:
    """A real DOCX whose document.xml is padded with a run of spaces that unpacks to
    ``unpacked_mb`` MB: a few hundred kilobytes on the wire."""
    original = zipfile.ZipFile(io.BytesIO(docx(("Titel", ["Text"]))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "word/document.xml":
                with bomb.open("word/document.xml", "w", force_zip64=True) as part:
                    part.write(data[: data.index(b"<w:body>")])
                    chunk = b" " * 2**20
                    for _ in range(unpacked_mb):
                        part.write(chunk)
                    part.write(data[data.index(b"<w:body>") :])
            else:
                bomb.writestr(info, data)
    return out.getvalue()


def pdf_pages(*pages: int) -> bytes:
    """Pages of the real GeoTopo lecture notes (1-based), as one PDF written by pypdf."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(require_shared_data(*GEOTOPO))
    writer = PdfWriter()
    for number in pages:
        writer.add_page(reader.pages[number - 1])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_of_texts(*pages: str) -> bytes:
    """A PDF written by reportlab, one page per text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True)  # the same bytes every time
    for text in pages:
        y = 780
        for line in text.split("\n"):
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def encrypted_pdf() -> bytes:
    return require_shared_data(*ENCRYPTED).read_bytes()
