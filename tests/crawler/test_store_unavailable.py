"""A MongoDB page store whose server is away raises PageStoreUnavailable, a TransientError the
tasks retry; what is wrong with the store itself stays a plain PageStoreError. The real pymongo
driver against a port where nothing listens."""

from __future__ import annotations

import socket

import pytest

from crawler.store import PageStoreConfig, PageStoreError, PageStoreUnavailable, open_page_store
from crawler.store.mongo import open_mongo_store
from rag.errors import TransientError


@pytest.fixture
def store_without_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens
    store = open_mongo_store(f"mongodb://127.0.0.1:{port}", "lotse_test_away", timeout_s=0.2)
    yield store
    store.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda store: store.ping(),
        lambda store: store.load_body("https://verein.example/"),
        lambda store: store.get_page("https://verein.example/"),
        lambda store: store.record_fetch(
            "https://verein.example/",
            source_id="1",
            status=200,
            body=b"x",
            content_type="text/html",
        ),
        lambda store: store.forget_source("1"),
    ],
    ids=["ping", "load_body", "get_page", "record_fetch", "forget_source"],
)
def test_a_store_whose_server_is_away_is_transient(store_without_server, call):
    with pytest.raises(PageStoreUnavailable, match="not reachable") as raised:
        call(store_without_server)
    assert isinstance(raised.value, TransientError)


def test_a_store_that_cannot_be_opened_is_not_transient(tmp_path):
    with pytest.raises(PageStoreError) as raised:
        open_page_store(PageStoreConfig(url="", database="../x", path=str(tmp_path)))
    assert not isinstance(raised.value, TransientError)
