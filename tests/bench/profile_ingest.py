"""What one ingest costs as the index grows: a profile of ``rag.ingest.ingest`` at N chunks.

    .venv/bin/python tests/bench/profile_ingest.py [--sizes 1000 20000] [--ingests 20]
        [--top 15] [--memory]

For each size a fresh local-mode collection on disk (the embedded default; ``--memory``:
``:memory:``) is filled with that many chunks of generated pages (written straight through
the store, a few seconds), then ``--ingests`` further pages are indexed through the real
``ingest`` (parse, chunk, sparse-encode, upsert, stale chunks removed) - half of them new
documents, half re-indexed with fewer chunks, as a recrawl does - under cProfile. Prints the
wall and CPU time per ingest for each size and the functions with the most cumulative time, so
whatever grows with the collection stands out. Never fails on timing.
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rag.config import RagConfig, VectorStoreConfig  # noqa: E402
from rag.embeddings.sparse import SparseEncoder  # noqa: E402
from rag.ingest import collection_for, ingest  # noqa: E402
from rag.models import Chunk, ChunkVectors  # noqa: E402
from rag.store import ensure_collection, open_vector_client, upsert_document_chunks  # noqa: E402
from tests.bench.sites import page_body  # noqa: E402

CHUNKS_PER_FILLER_DOCUMENT = 6
# Lotse passes the chunk slots a document may occupy, so stale chunks are deleted by id (run
# against an older Lotse without that parameter, this measures its filter-based deletes)
SLOTS = "stale_slots" in inspect.signature(ingest).parameters
FRESH = {"stale_slots": 0} if SLOTS else {}


def fill(client, collection: str, chunks: int) -> float:
    """``chunks`` chunks in documents of six, written directly (no parsing): seconds taken."""
    encoder = SparseEncoder()
    started = time.perf_counter()
    for document in range(chunks // CHUNKS_PER_FILLER_DOCUMENT):
        texts = [
            f"Seite {document} Abschnitt {n}: "
            + " ".join(f"wort{(document * 13 + n * 7 + w) % 5000}" for w in range(60))
            for n in range(CHUNKS_PER_FILLER_DOCUMENT)
        ]
        parts = [
            Chunk(f"https://fill.example/{document}", "T", (), text, "de", position=n)
            for n, text in enumerate(texts)
        ]
        vectors = [ChunkVectors(encoder.encode_document(text)) for text in texts]
        upsert_document_chunks(client, collection, f"fill-{document}", parts, vectors, **FRESH)
    return time.perf_counter() - started


def html_with_sections(page: int, sections: int) -> bytes:
    """A generated page, its text repeated into ``sections`` headed sections."""
    body = page_body(10_000, page).decode()
    text = body.split("<h1>", 1)[1].split("<ul>", 1)[0]
    parts = "".join(f"<h2>Abschnitt {n}</h2>{text.split('</h1>', 1)[1]}" for n in range(sections))
    return f"<html><head><title>Page {page}</title></head><body><h1>Page {page}</h1>{parts}</body></html>".encode()


def profile_size(size: int, ingests: int, memory: bool, top: int) -> dict:
    folder = tempfile.mkdtemp(prefix="lotse-profile-ingest-")
    store = VectorStoreConfig(url="", path=":memory:" if memory else f"{folder}/qdrant")
    config = RagConfig(vector_store=store)
    client = open_vector_client(store)
    collection = collection_for(config)
    ensure_collection(client, collection)
    fill_seconds = fill(client, collection, size)
    pages = [(html_with_sections(n, 6), f"doc-{n}") for n in range(ingests // 2)]
    # first the new documents, then the same ones again with fewer sections (stale chunks)
    pages += [(html_with_sections(n, 3), f"doc-{n}") for n in range(ingests - ingests // 2)]
    slots: dict[str, int] = {}  # what the Document row records in Lotse

    def index(page) -> None:
        extra = {"stale_slots": slots.get(page[1], 0)} if SLOTS else {}
        result = ingest(*_args(page, config, client), **extra)
        slots[page[1]] = result.chunk_count

    index((pages[0][0], "warm-up"))  # imports and caches outside the profile
    # CPU time, not wall time: on a machine shared with other work the wall clock measures
    # the other work too (the table shows both)
    profiler = cProfile.Profile(time.process_time)
    started, cpu_started = time.perf_counter(), time.process_time()
    profiler.enable()
    for page in pages:
        index(page)
    profiler.disable()
    seconds = (time.perf_counter() - started) / len(pages)
    cpu_seconds = (time.process_time() - cpu_started) / len(pages)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    client.close()
    return {
        "size": size,
        "fill_s": fill_seconds,
        "ingest_ms": seconds * 1000,
        "cpu_ms": cpu_seconds * 1000,
        "profile": out,
    }


def _args(page, config, client):
    body, document_id = page
    return (
        body,
        "text/html",
        f"https://site.example/{document_id}",
        document_id,
        "1",
        config,
        client,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--ingests", type=int, default=20)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--memory", action="store_true", help=":memory: instead of a folder")
    args = parser.parse_args()
    results = [profile_size(size, args.ingests, args.memory, args.top) for size in args.sizes]
    for result in results:
        print(f"\n=== {result['size']} chunks in the collection ===")
        print(result["profile"].getvalue()[:6000])
    print("\n| chunks in collection | fill s | ms per ingest, wall | ms per ingest, CPU |")
    print("|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['size']:,} | {r['fill_s']:.1f} | {r['ingest_ms']:.1f} | {r['cpu_ms']:.1f} |")


if __name__ == "__main__":
    main()
