"""Who reaches the uploads API: anonymous visitors and staff users without a role get
nothing (401, 403) and change nothing; editors and administrators do everything; viewers
read. The API's refusals of bad files, with the reason under ``file``."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from backend.ops.roles import ADMINISTRATORS, EDITORS, VIEWERS
from backend.uploads.models import Upload
from tests.backend.test_api_roles import token_client, user_in
from tests.e2e.test_deletion import empty_index, points, settle  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores", "empty_index"),
]

TEXT = b"Die Sporthalle ist in den Ferien geschlossen.\n"


def send(client: APIClient, method: str, path: str, name: str | None = None, body=TEXT) -> int:
    data = {"file": SimpleUploadedFile(name, body)} if name else None
    response = getattr(client, method)(path, data, format="multipart")
    settle()
    return response.status_code


def operations(upload: Upload) -> list[tuple[str, str, str | None, int]]:
    """(method, path, file name, what an editor gets) for every operation."""
    base = f"/api/v1/uploads/{upload.pk}/"
    return [
        ("get", "/api/v1/uploads/", None, 200),
        ("get", base, None, 200),
        ("get", f"{base}chunks/", None, 200),
        ("post", "/api/v1/uploads/", "ferien.txt", 201),
        ("post", f"{base}replace/", "neu.txt", 202),
        ("delete", base, None, 204),
    ]


@pytest.fixture
def upload() -> Upload:
    from backend.uploads.services import add_upload

    item = add_upload("halle.txt", "Die Halle schließt um 22 Uhr.\n".encode())
    settle()
    return item


@pytest.mark.parametrize("who", ["anonymous", "staff without a role", "a viewer"])
def test_visitors_and_staff_without_a_role_reach_nothing(upload, who):
    if who == "anonymous":
        client, refused = APIClient(), {401}
    else:
        client = token_client(user_in(VIEWERS if who == "a viewer" else None))
        refused = {403}
    for method, path, name, _ok in operations(upload):
        got = send(client, method, path, name)
        if who == "a viewer" and method == "get":
            assert got == 200, path
        else:
            assert got in refused, (method, path, got)
    upload.refresh_from_db()
    assert (Upload.objects.count(), upload.file_name) == (1, "halle.txt")
    assert points(document_id=upload.index_id) == upload.chunk_count > 0


@pytest.mark.parametrize("group", [EDITORS, ADMINISTRATORS])
def test_editors_and_administrators_do_everything(upload, group):
    client = token_client(user_in(group))
    for method, path, name, ok in operations(upload):
        assert send(client, method, path, name) == ok, (method, path)
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert points(document_id=upload.index_id) == 0
    assert Upload.objects.get().file_name == "ferien.txt"


def test_the_api_refuses_bad_files_with_the_reason(upload):
    client = token_client(user_in(EDITORS))
    wrong = client.post("/api/v1/uploads/", {"file": SimpleUploadedFile("a.pdf", TEXT)},
                        format="multipart")  # fmt: skip
    assert wrong.status_code == 400 and "not what its extension says" in wrong.json()["file"][0]
    missing = client.post("/api/v1/uploads/", {}, format="multipart")
    assert missing.status_code == 400 and missing.json()["file"]
    with override_settings(UPLOAD_MAX_MB=1):
        big = client.post(
            f"/api/v1/uploads/{upload.pk}/replace/",
            {"file": SimpleUploadedFile("gross.txt", b"x " * 2**20)},
            format="multipart",
        )
    assert big.status_code == 413 and "larger than the limit of 1 MB" in big.json()["file"][0]
    upload.refresh_from_db()
    assert (upload.file_name, upload.pending_hash, Upload.objects.count()) == ("halle.txt", "", 1)


def test_reindex_and_prune_keep_uploads_and_drop_a_lost_ones_chunks(upload, capsys, monkeypatch):
    """manage.py reindex indexes uploads again (a new embedding model needs them too); the
    daily prune keeps their stored files and removes chunks whose upload row is gone."""
    import json

    from django.core.management import call_command

    from backend.documents.cleanup import prune_index
    from backend.ops.stores import page_store
    from backend.uploads.models import store_url

    upload.refresh_from_db()
    before = upload.last_indexed_at
    call_command("reindex", "--json")
    assert json.loads(capsys.readouterr().out)["uploads_queued"] == 1
    settle()
    upload.refresh_from_db()
    assert upload.status == "indexed" and points(document_id=upload.index_id) > 0
    assert upload.last_indexed_at > before  # indexed again, though its content is the same
    # a clean-up task that was lost: the row goes, the chunks stay
    monkeypatch.setattr("backend.uploads.services.enqueue_on_commit", lambda *args: None)
    Upload.objects.filter(pk=upload.pk).delete()
    assert points(document_id=upload.index_id) > 0
    report = prune_index()
    assert upload.index_id in report.orphaned_documents
    assert points(document_id=upload.index_id) == 0
    assert page_store().load_body(store_url(upload.pk, upload.content_hash)) is None
    other = Upload.objects.create(file_name="b.txt", kind="text", content_hash="b" * 64)
    page_store().record_fetch(store_url(other.pk, "b" * 64), source_id="uploads", status=200,
                              body=b"B", content_type="text/plain")  # fmt: skip
    prune_index()
    assert page_store().load_body(store_url(other.pk, "b" * 64)) == b"B"
