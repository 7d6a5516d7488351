"""Chat latency: server time before the first token at 1, 10 and 50 concurrent chats.

A real `manage.py serve` (embedded default, one uvicorn process) answers through the real
`openai` SDK from a local OpenAI-compatible server that streams instantly, so the numbers are
Lotse's own: validation, storage, retrieval, prompt building and the first streamed piece.
The corpus is XQuAD's German articles rendered as pages and crawled by Lotse itself (or
generated pages when ../shared is not there). The LLM runs in a process of its own and the
visitors are one asyncio client, so the harness takes as little of a small machine's CPU from
the server as it can; the server runs with DEBUG off, as in production (``--debug``: on).

    python tests/bench/bench_chat.py [--xquad ../shared/data/qa/xquad] [--rounds 10] [--debug]
        [--profile /tmp/chat.spy]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


CONCURRENCY = (1, 10, 50)


def write_site(folder: Path, xquad: Path | None) -> list[str]:
    """HTML pages in ``folder`` and the questions to ask about them."""
    questions: list[str] = []
    links = []
    if xquad and (xquad / "xquad.de.json").exists():
        data = json.loads((xquad / "xquad.de.json").read_text(encoding="utf-8"))["data"]
        for number, article in enumerate(data):
            body = "".join(
                f"<p>{html.escape(paragraph['context'])}</p>" for paragraph in article["paragraphs"]
            )
            name = f"artikel-{number}.html"
            (folder / name).write_text(
                f"<html lang='de'><head><title>{html.escape(article['title'])}</title></head>"
                f"<body><main><h1>{html.escape(article['title'])}</h1>{body}</main></body></html>",
                encoding="utf-8",
            )
            links.append(name)
            questions += [qa["question"] for p in article["paragraphs"] for qa in p["qas"]]
    else:
        for number in range(200):
            name = f"seite-{number}.html"
            text = f"Der Kurs {number} findet am Wochentag {number % 7} um {number % 12 + 8} Uhr statt."
            (folder / name).write_text(
                f"<html><head><title>Kurs {number}</title></head><body><main><h1>Kurs {number}"
                f"</h1><p>{text}</p></main></body></html>",
                encoding="utf-8",
            )
            links.append(name)
            questions.append(f"Wann findet der Kurs {number} statt?")
    index = "".join(f"<a href='{name}'>{name}</a>" for name in links)
    (folder / "index.html").write_text(f"<html><body>{index}</body></html>", encoding="utf-8")
    return questions


def serve_folder(folder: Path) -> ThreadingHTTPServer:
    handler = lambda *a, **k: SimpleHTTPRequestHandler(*a, directory=str(folder), **k)  # noqa: E731
    SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        **kwargs,
    )


async def ask(client, base: str, question: str) -> dict:
    """One streamed chat; the client's time to the first token and the server's timings."""
    started = time.perf_counter()
    first = None
    done = None
    async with client.stream(
        "POST", f"{base}/api/v1/chat/", json={"message": question}
    ) as response:
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                if event == "token" and first is None:
                    first = (time.perf_counter() - started) * 1000
                elif event == "done":
                    done = json.loads(line[6:])
    return {
        "client_first_ms": first,
        "timings": (done or {}).get("timings", {}),
        "outcome": (done or {}).get("outcome"),
    }


async def ask_all(base: str, questions: list[str]) -> list[dict]:
    """The questions at once, as that many visitors would send them: one event loop in this
    process (threads would take the server's CPU on a small machine for their own GIL)."""
    import httpx

    limits = httpx.Limits(max_connections=len(questions))
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        return await asyncio.gather(*(ask(client, base, q) for q in questions))


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
        if ordered
        else float("nan")
    )


def start_profile(pid: int, output: Path | None) -> subprocess.Popen | None:
    if output is None:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen(
        # --gil: only the thread holding the GIL, i.e. what the one core of Python does
        [str(spy), "record", "--pid", str(pid), "--format", "raw", "--output", str(output),
         "--rate", "200", "--gil"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop_profile(spy: subprocess.Popen, output: Path) -> None:
    """Stop py-spy and print the share of samples per frame (inclusive), Lotse's first."""
    import signal
    from collections import Counter

    spy.send_signal(signal.SIGINT)
    spy.wait(timeout=60)
    inclusive: Counter[str] = Counter()
    total = 0
    for line in output.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        names = set()
        for frame in stack.split(";"):
            name, _, where = frame.partition(" (")
            names.add(f"{name} ({where.rsplit(':', 1)[0].rsplit('/', 1)[-1]})")
        for name in names:
            inclusive[name] += int(count)
    print(f"\nprofile at 50 concurrent: {total} samples of the thread holding the GIL")
    print("| share of samples (inclusive) | function (file) |\n|---:|---|")
    for name, n in inclusive.most_common(60):
        print(f"| {100 * n / max(1, total):.1f} % | {name} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--xquad", type=Path, default=REPO.parent / "shared/data/qa/xquad")
    parser.add_argument(
        "--rounds", type=int, default=10, help="measured batches per concurrency level"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="e.g. mysql://root@127.0.0.1:3306/lotse_bench (an "
        "empty database); default: the embedded SQLite",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="serve with DEBUG on (the embedded default's development mode); default: "
        "off, as in production",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="sample the server with py-spy during the 50-concurrent rounds and print where "
        "its time goes (needs py-spy; its raw stacks are written to this file)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lotse-bench-chat-"))
    site_dir = work / "site"
    site_dir.mkdir()
    questions = write_site(site_dir, args.xquad if args.xquad.exists() else None)
    site = serve_folder(site_dir)
    # the instant LLM runs in a process of its own: in this one it would wait for the GIL
    # behind the benchmark's client threads, and that wait would count as Lotse's time
    llm = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_openai", "Laut der Quelle ist das so [1]."],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    llm_url = llm.stdout.readline().strip()
    try:
        env = {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
            "LOTSE_VAR_DIR": str(work / "var"),
            "CRAWLER_ALLOWED_NETWORKS": "127.0.0.1/32",
            "CHAT_RATE_LIMIT_PER_IP": "0",
            "CHAT_RATE_LIMIT_PER_CONVERSATION": "0",
            "OPENAI_API_KEY": "bench",
            "OPENAI_BASE_URL": llm_url,
            "LOG_LEVEL": "WARNING",
            "DEBUG": "false" if not args.debug else "true",
        }
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        manage(env, "migrate", "--noinput", check=True)
        started = time.perf_counter()
        crawl = manage(
            env,
            "crawl",
            f"http://127.0.0.1:{site.server_address[1]}/index.html",
            "--wait",
            "--json",
            timeout=1800,
        )
        report = json.loads(crawl.stdout)
        print(
            f"corpus: {report['documents']['indexed']} pages crawled and indexed in "
            f"{time.perf_counter() - started:.0f} s; {len(questions)} questions"
        )
        port = 18000 + os.getpid() % 1000
        server = subprocess.Popen(
            [sys.executable, str(REPO / "manage.py"), "serve", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            asyncio.run(ask_all(base, questions[:1]))  # warm-up: imports, the sparse encoder
            rows = []
            cursor = 0
            for concurrency in CONCURRENCY:
                # one batch first that is not counted: the server starts threads and database
                # connections for the first burst of this size, once in its life
                asyncio.run(ask_all(base, questions[-concurrency:]))
                results = []
                spy = start_profile(server.pid, args.profile) if concurrency == 50 else None
                for _ in range(args.rounds):
                    batch = [questions[(cursor + i) % len(questions)] for i in range(concurrency)]
                    cursor += concurrency
                    results += asyncio.run(ask_all(base, batch))
                if spy is not None:
                    stop_profile(spy, args.profile)
                server_first = [
                    r["timings"]["first_token_ms"]
                    for r in results
                    if "first_token_ms" in r["timings"]
                ]
                retrieval = [
                    r["timings"]["retrieval_ms"] for r in results if "retrieval_ms" in r["timings"]
                ]
                client_first = [r["client_first_ms"] for r in results if r["client_first_ms"]]
                answered = sum(r["outcome"] == "answered" for r in results)
                rows.append(
                    (
                        concurrency,
                        len(results),
                        answered,
                        pct(server_first, 0.5),
                        pct(server_first, 0.95),
                        statistics.median(retrieval),
                        pct(client_first, 0.5),
                        pct(client_first, 0.95),
                    )
                )
        finally:
            server.terminate()
            server.wait(timeout=15)
    finally:
        llm.terminate()
        llm.wait(timeout=15)
    site.shutdown()
    database = "MySQL/MariaDB" if args.database_url else "SQLite (embedded default)"
    mode = "DEBUG on" if args.debug else "DEBUG off"
    print(
        f"\nserver time before the first token (instant LLM), one uvicorn process, {database}, "
        f"{mode}"
    )
    header = (
        "concurrent",
        "chats",
        "answered",
        "p50 ms",
        "p95 ms",
        "retrieval p50",
        "client p50",
        "client p95",
    )
    print("  ".join(f"{h:>13}" for h in header))
    for row in rows:
        print("  ".join(f"{v:>13.0f}" if isinstance(v, float) else f"{v:>13}" for v in row))
    print("\ntarget: p95 <= 150 ms at 10 concurrent chats")


if __name__ == "__main__":
    main()
