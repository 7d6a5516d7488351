"""Fixtures for the rag library: no database, no network, Qdrant in memory."""

from __future__ import annotations

import io
import ipaddress
import socket
from pathlib import Path

import pytest

# Nothing of Lotse's at import time: tests/rag/test_imports.py imports this module in a
# subprocess and checks that parsing loads neither Django nor backend.
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skipped in a clone without it, a failure under CI."""
    from tests.conftest import CI

    path = SHARED.joinpath(*parts)
    if not path.exists():
        if CI:
            pytest.fail(f"{path} is missing; CI requires ../shared beside the repo")
        pytest.skip(f"{path} is not here (no ../shared in this clone)")
    return path


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """rag must work offline: telemetry pings or model downloads fail the test loudly."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self, address):
        if not _is_local(address):
            raise AssertionError(f"network access to {address!r} during a rag test")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _is_local(address):
            raise AssertionError(f"network access to {address!r} during a rag test")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def qdrant():
    from rag.store.local_client import LocalQdrantClient

    client = LocalQdrantClient(":memory:")  # local mode as open_vector_client opens it
    yield client
    client.close()


def make_pdf(
    pages: list[list[tuple[str, str]]],
    *,
    title: str = "",
    outline: bool = False,
    user_password: str = "",
) -> bytes:
    """A text PDF from [(style, text)] per page; style "h1", "h2" or "p" (font sizes 20/15/10).
    With ``outline`` every heading also becomes a bookmark."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    sizes = {"h1": 20, "h2": 15, "p": 10}
    buffer = io.BytesIO()
    encrypt = None
    if user_password:
        from reportlab.lib.pdfencrypt import StandardEncryption

        encrypt = StandardEncryption(user_password, canPrint=1)
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=encrypt)
    if title:
        pdf.setTitle(title)
    width, height = A4
    bookmark = 0
    for page in pages:
        y = height - 60
        for style, text in page:
            size = sizes[style]
            font = "Helvetica-Bold" if style != "p" else "Helvetica"
            if outline and style != "p":
                key = f"b{bookmark}"
                bookmark += 1
                pdf.bookmarkHorizontal(key, 0, y + size)
                pdf.addOutlineEntry(text, key, level=0 if style == "h1" else 1)
            for line in simpleSplit(text, font, size, width - 120):
                pdf.setFont(font, size)
                pdf.drawString(60, y, line)
                y -= size * 1.4
            y -= size
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_scanned_pdf(lines: list[str]) -> bytes:
    """A one-page PDF holding only a picture of text, as a scanner would produce."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=48)
    for number, line in enumerate(lines):
        draw.text((120, 150 + number * 90), line, fill=0, font=font)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
