"""The admin's upload flow with Django's test client: several files at once (the refused ones
named with their reason, the rest indexed with their chunks), a new version, deletion; the
size limit; who may; and how the files are served for citations."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from backend.ops.roles import EDITORS
from backend.uploads.models import Upload
from tests.e2e.test_deletion import empty_index, points, settle  # noqa: F401
from tests.uploads.files import docx, odt, pdf_pages, zip_bomb_docx

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores", "empty_index"),
]

ADD = reverse("admin:uploads_upload_add")
CHANGELIST = reverse("admin:uploads_upload_changelist")
SECTION = ("Anmeldung", ["Die Anmeldung zum Yogakurs erfolgt bis zum 15. März im Sekretariat."])
GOOD = {
    "kurs.docx": docx(SECTION),
    "kurs.odt": odt(SECTION),
    "hausordnung.md": "# Hausordnung\n\nDie Halle schließt um 22 Uhr.\n".encode(),
    "liesmich.txt": "Der Schlüssel liegt beim Hausmeister.\n".encode(),
    "seite.html": b"<html><body><h1>Anfahrt</h1><p>Parken hinter der Halle.</p>"
    b"<script>alert(1)</script></body></html>",
}
BAD = {
    "falsch.pdf": docx(SECTION),  # a Word document called PDF
    "bombe.docx": zip_bomb_docx(unpacked_mb=300),
    "leer.txt": b"\n\n",
}


def files(named: dict[str, bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, body) for name, body in named.items()]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def editor(client):
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    client.force_login(user)
    return client


def test_editors_upload_several_files_at_once_and_see_them_indexed_with_chunks(editor):
    form = editor.get(ADD)
    assert form.status_code == 200
    assert re.search(rb'<input type="file" name="files"[^>]*multiple', form.content)

    named = {**GOOD, "skript.pdf": pdf_pages(7, 12), **BAD}
    response = editor.post(ADD, {"files": files(named)}, follow=True)
    settle()
    said = messages_of(response)
    assert "6 files uploaded; they are being indexed." in said
    assert any("falsch.pdf" in m and "not what its extension says" in m for m in said)
    assert any("bombe.docx" in m and "zip bomb" in m for m in said)
    assert any("leer.txt" in m and "is empty" in m for m in said)
    assert not Upload.objects.filter(file_name__in=BAD).exists()  # nothing of them is kept

    uploads = {u.file_name: u for u in Upload.objects.all()}
    assert set(uploads) == {*GOOD, "skript.pdf"}
    for upload in uploads.values():
        assert (upload.status, upload.error) == ("indexed", ""), upload.file_name
        assert upload.chunk_count > 0 and points(document_id=upload.index_id) == upload.chunk_count

    listing = editor.get(CHANGELIST).content.decode()
    assert listing.count("Indexed") >= len(uploads) and "show chunks" in listing
    chunks = editor.get(reverse("admin:uploads_upload_chunks", args=[uploads["kurs.odt"].pk]))
    assert "Die Anmeldung zum Yogakurs erfolgt bis zum 15. März" in chunks.content.decode()
    pdf_chunks = editor.get(reverse("admin:uploads_upload_chunks", args=[uploads["skript.pdf"].pk]))
    assert "page 2" in pdf_chunks.content.decode()


def test_a_new_version_in_the_admin_and_deleting_in_bulk(editor):
    editor.post(ADD, {"files": files({"hausordnung.md": GOOD["hausordnung.md"]})})
    settle()
    upload = Upload.objects.get()
    replace = reverse("admin:uploads_upload_replace", args=[upload.pk])
    assert editor.get(replace).status_code == 200

    same = editor.post(replace, {"file": files({"neu.md": GOOD["hausordnung.md"]})[0]}, follow=True)
    assert "The file is unchanged: nothing is indexed again." in messages_of(same)
    changed = b"# Hausordnung\n\nDie Halle schliesst ab Mai schon um 21 Uhr.\n"
    response = editor.post(replace, {"file": files({"neu.md": changed})[0]}, follow=True)
    settle()
    assert any("being indexed" in m for m in messages_of(response))
    upload.refresh_from_db()
    assert (upload.file_name, upload.status) == ("neu.md", "indexed")
    text = editor.get(reverse("admin:uploads_upload_chunks", args=[upload.pk])).content.decode()
    assert "21 Uhr" in text and "22 Uhr" not in text

    wrong = editor.post(replace, {"file": files({"neu.pdf": changed})[0]}, follow=True)
    assert any("not what its extension says" in m for m in messages_of(wrong))
    upload.refresh_from_db()
    assert (upload.file_name, upload.pending_hash) == ("neu.md", "")

    deleted = editor.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [upload.pk], "post": "yes"}
    )
    assert deleted.status_code == 302
    settle()
    assert not Upload.objects.exists() and points(document_id=upload.index_id) == 0


@override_settings(UPLOAD_MAX_MB=1)
def test_a_file_over_the_limit_is_refused_and_not_kept(editor):
    big = b"Viel Text. " * (2**20 // 10 + 1000)
    response = editor.post(
        ADD, {"files": files({"gross.txt": big, "klein.txt": b"Kleiner Text."})}, follow=True
    )
    said = messages_of(response)
    assert any("gross.txt" in m and "larger than the limit of 1 MB" in m for m in said)
    assert [u.file_name for u in Upload.objects.all()] == ["klein.txt"]


def test_who_may_upload(client):
    assert client.get(ADD).status_code == 302  # anonymous: the login page
    nobody = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(nobody)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {"files": files({"a.txt": b"Text"})}).status_code == 403
    assert not Upload.objects.exists()


def test_files_are_served_inline_with_their_type_and_html_in_a_sandbox(editor, client):
    editor.post(ADD, {"files": files({**GOOD, "skript.pdf": pdf_pages(7)})})
    settle()
    client.logout()  # visitors open citations without signing in
    expected = {
        "seite.html": "text/html; charset=utf-8",
        "hausordnung.md": "text/plain; charset=utf-8",
        "liesmich.txt": "text/plain; charset=utf-8",
        "skript.pdf": "application/pdf",
        "kurs.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "kurs.odt": "application/vnd.oasis.opendocument.text",
    }
    for name, content_type in expected.items():
        upload = Upload.objects.get(file_name=name)
        response = client.get(f"/files/{upload.pk}/{name}")
        assert response.status_code == 200, name
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == f'inline; filename="{name}"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert ("sandbox" in response.get("Content-Security-Policy", "")) == (name == "seite.html")
        again = client.get(f"/files/{upload.pk}/{name}", HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
    assert (
        "default-src 'none'"
        in client.get(f"/files/{Upload.objects.get(file_name='seite.html').pk}/seite.html")[
            "Content-Security-Policy"
        ]
    )
    assert client.get("/files/999999/x.pdf").status_code == 404
    assert client.post(f"/files/{upload.pk}/x").status_code == 405


@override_settings(UPLOAD_MAX_MB=1)
def test_a_file_over_the_limit_is_dropped_while_it_streams_in(rf):
    """Not read into memory or a temporary file first and refused afterwards: the upload
    handler drops its chunks as they arrive and names it for the message."""
    from backend.uploads.limits import refusals

    big = SimpleUploadedFile("gross.txt", b"x" * (3 * 2**20))
    request = rf.post(ADD, {"files": [big, SimpleUploadedFile("klein.txt", b"klein")]})
    assert [f.name for f in request.FILES.getlist("files")] == ["klein.txt"]
    assert refusals(request) == ["gross.txt"]
