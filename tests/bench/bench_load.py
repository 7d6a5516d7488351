"""Load: many visitors chatting at once for a while, against real `manage.py serve` processes.

Each visitor asks, reads the streamed answer to its end, waits a moment (``--think``) and asks
again, sometimes as a follow-up in its conversation. Every visitor comes through a (simulated)
proxy with its own X-Forwarded-For address from the benchmarking range 198.18.0.0/15, so the
rate limit counts per visitor as in production (limit high enough not to refuse anyone).
The language model is tests/fake_openai.py in a process of its own (instant answers), so the
numbers are Lotse's own.

Two setups, one after the other:

* ``embedded``: one `manage.py serve`, the embedded default (SQLite, local Qdrant, in-process
  counters);
* ``scaled``: two `manage.py serve` processes on MariaDB (``--database-url``) and Redis
  (``--redis-url``: shared rate-limit counters). Visitors alternate between the two ports
  turn by turn, so a conversation continues on the other process.

Not covered by ``scaled``: Qdrant local mode opens in one process only and no Qdrant server is
available here, so each process reads its own copy of the same indexed local collection
(read-only during the test, so the copies cannot diverge); no load balancer or Traefik (the
client alternates ports itself); no Celery workers or RabbitMQ (a chat enqueues no task); a
real model's latency.

Reported: requests, errors (non-200, an error event, no done event, a broken connection),
lost conversations (every conversation id handed out must be stored with each of its
questions and answers, checked in the database afterwards), p50/p95 of the first token as
the client saw it and as the server measured it. Never fails on timing.

    python tests/bench/bench_load.py [--duration 60] [--visitors 50] [--setups embedded,scaled]
        [--database-url mysql://root@127.0.0.1:3306] [--redis-url redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.bench.bench_chat import manage, pct, serve_folder, write_site  # noqa: E402

VERIFY = """
import json, sys, unicodedata
import django
django.setup()
from backend.chat.models import Message
records = json.load(open(sys.argv[1]))
lost = 0
for r in records:
    answer = Message.objects.filter(
        id=r["message_id"], conversation_id=r["conversation_id"], role="assistant"
    ).first()
    asked = Message.objects.filter(
        conversation_id=r["conversation_id"], role="user",
        text=unicodedata.normalize("NFC", r["question"]).strip(),  # as the chat stores it
    ).exists()
    if answer is None or answer.text != r["answer"] or not asked:
        lost += 1
        why = "no answer" if answer is None else "answer differs" if answer.text != r["answer"] else "no question"
        print("lost:", why, r["conversation_id"], repr(r["question"][:60]), file=sys.stderr)
print(lost)
"""


def base_env(var_dir: Path, llm_url: str, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
        "LOTSE_VAR_DIR": str(var_dir),
        "CRAWLER_ALLOWED_NETWORKS": "127.0.0.1/32",
        # counted per visitor (X-Forwarded-For from the loopback "proxy"), never reached
        "CHAT_RATE_LIMIT_PER_IP": "100000",
        "CHAT_RATE_LIMIT_PER_CONVERSATION": "100000",
        "OPENAI_API_KEY": "bench",
        "OPENAI_BASE_URL": llm_url,
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        **extra,
    }


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, str(REPO / "manage.py"), "serve", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"manage.py serve on port {port} exited with {server.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"manage.py serve on port {port} did not answer")


def crawl_corpus(env: dict[str, str], site_url: str) -> None:
    manage(env, "migrate", "--noinput", check=True)
    started = time.perf_counter()
    crawl = manage(env, "crawl", site_url, "--wait", "--json", timeout=1800)
    if crawl.returncode != 0:
        raise SystemExit(f"crawl failed: {crawl.stderr[-2000:]}")
    report = json.loads(crawl.stdout)
    print(
        f"  corpus: {report['documents']['indexed']} pages indexed in "
        f"{time.perf_counter() - started:.0f} s"
    )


async def ask(client, base: str, body: dict, forwarded: str) -> dict:
    """One streamed question; what the visitor saw."""
    started = time.perf_counter()
    result = {"question": body["message"], "answer": "", "error": "", "first_ms": None}
    try:
        async with client.stream(
            "POST", f"{base}/api/v1/chat/", json=body, headers={"X-Forwarded-For": forwarded}
        ) as response:
            if response.status_code != 200:
                result["error"] = f"HTTP {response.status_code}"
                return result
            event = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                    if event == "token":
                        if result["first_ms"] is None:
                            result["first_ms"] = (time.perf_counter() - started) * 1000
                        result["answer"] += data["text"]
                    elif event == "error":
                        result["error"] = f"error event {data.get('code')}"
                    elif event == "done":
                        result["done"] = data
    except Exception as exc:  # a broken connection or a timeout is an error of the run
        result["error"] = type(exc).__name__
    if "done" not in result and not result["error"]:
        result["error"] = "no done event"
    return result


async def visitor(client, bases, questions, number: int, until: float, think: float, out):
    rng = random.Random(number)
    forwarded = f"198.18.{number // 250}.{number % 250 + 1}"
    conversation, turn = None, 0
    while time.monotonic() < until:
        body = {"message": rng.choice(questions)}
        if conversation and turn % 3:
            body["conversation_id"] = conversation  # a follow-up
        result = await ask(client, bases[(number + turn) % len(bases)], body, forwarded)
        out.append(result)
        done = result.get("done")
        conversation = done["conversation_id"] if done else None
        turn += 1
        await asyncio.sleep(rng.uniform(0, 2 * think))


async def load(bases: list[str], questions: list[str], visitors: int, duration: float, think):
    import httpx

    results: list[dict] = []
    until = time.monotonic() + duration
    # idle connections are dropped before uvicorn's 5 s keep-alive ends: reusing one it is
    # closing at that moment is the client's race (a ReadError), not an error of Lotse
    limits = httpx.Limits(max_connections=visitors * 2, keepalive_expiry=2.0)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(
            *(visitor(client, bases, questions, n, until, think, results) for n in range(visitors))
        )
    return results


def lost_conversations(env: dict[str, str], results: list[dict], folder: Path) -> int:
    records = [
        {
            "message_id": r["done"]["message_id"],
            "conversation_id": r["done"]["conversation_id"],
            "question": r["question"],
            "answer": r["answer"],
        }
        for r in results
        if r.get("done")
    ]
    path = folder / "handed-out.json"
    path.write_text(json.dumps(records))
    check = subprocess.run(
        [sys.executable, "-c", VERIFY, str(path)],
        cwd=REPO,
        env={**env, "DJANGO_SETTINGS_MODULE": "backend.settings.dev"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check.returncode != 0:
        raise SystemExit(f"verification failed: {check.stderr[-2000:]}")
    for line in check.stderr.splitlines()[-10:]:
        if line.startswith("lost:"):
            print("  " + line)
    return int(check.stdout.strip())


def summarise(name: str, processes: int, results: list[dict], lost: int, duration: float):
    errors = [r for r in results if r["error"]]
    client_first = [r["first_ms"] for r in results if r["first_ms"] is not None]
    server_first = [
        r["done"]["timings"]["first_token_ms"]
        for r in results
        if r.get("done") and "first_token_ms" in r["done"].get("timings", {})
    ]
    conversations = {r["done"]["conversation_id"] for r in results if r.get("done")}
    kinds: dict[str, int] = {}
    for r in errors:
        kinds[r["error"]] = kinds.get(r["error"], 0) + 1
    return {
        "setup": name,
        "processes": processes,
        "requests": len(results),
        "per_s": len(results) / duration,
        "errors": len(errors),
        "error_kinds": kinds,
        "conversations": len(conversations),
        "lost": lost,
        "client_p50": pct(client_first, 0.5),
        "client_p95": pct(client_first, 0.95),
        "server_p50": pct(server_first, 0.5),
        "server_p95": pct(server_first, 0.95),
    }


def fresh_mysql_database(server_url: str) -> str:
    import MySQLdb

    parts = urlsplit(server_url)
    name = f"lotse_bench_load_{os.getpid()}"
    connection = MySQLdb.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
        password=parts.password or "",
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    connection.close()
    return f"{server_url.rstrip('/')}/{name}"


def drop_mysql_database(database_url: str) -> None:
    import MySQLdb

    parts = urlsplit(database_url)
    connection = MySQLdb.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
        password=parts.password or "",
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {parts.path.strip('/')}")
    connection.close()


def run_setup(name, args, work, site_url, llm_url, questions) -> dict:
    print(f"\n== {name}")
    extra: dict[str, str] = {}
    processes = 1
    if name == "scaled":
        extra = {
            "DATABASE_URL": fresh_mysql_database(args.database_url),
            "REDIS_URL": args.redis_url,
        }
        processes = 2
    first_var = work / f"{name}-var-0"
    env = base_env(first_var, llm_url, **extra)
    try:
        crawl_corpus(env, site_url)
        envs = [env]
        for n in range(1, processes):
            # Qdrant local mode: one process per folder, so each gets its own copy
            copy = work / f"{name}-var-{n}"
            shutil.copytree(first_var, copy, ignore=shutil.ignore_patterns("*.lock", ".lock*"))
            envs.append(base_env(copy, llm_url, **extra))
        base_port = 19000 + os.getpid() % 500
        ports = [base_port + n for n in range(processes)]
        logs = [work / f"{name}-server-{n}.log" for n in range(processes)]
        servers = [start_server(e, p, log) for e, p, log in zip(envs, ports, logs, strict=True)]
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        try:
            asyncio.run(load(bases, questions[:5], min(5, args.visitors), 3, 0))  # warm-up
            started = time.monotonic()
            results = asyncio.run(load(bases, questions, args.visitors, args.duration, args.think))
            elapsed = time.monotonic() - started
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
        lost = lost_conversations(env, results, work)
        for log in logs:  # what went wrong on the server, if anything did
            errors = [line for line in log.read_text().splitlines() if " ERROR " in line]
            if errors:
                print(f"  {log.name}: {len(errors)} ERROR lines, first: {errors[0][:300]}")
        return summarise(name, processes, results, lost, elapsed)
    finally:
        if "DATABASE_URL" in extra:
            drop_mysql_database(extra["DATABASE_URL"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per setup")
    parser.add_argument("--visitors", type=int, default=50, help="concurrent visitors")
    parser.add_argument("--think", type=float, default=0.5, help="mean seconds between turns")
    parser.add_argument("--setups", default="embedded,scaled", help="embedded, scaled or both")
    parser.add_argument(
        "--database-url",
        default="mysql://root@127.0.0.1:3306",
        help="MariaDB/MySQL server for 'scaled' (a database is created, dropped)",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/14",
        help="Redis for 'scaled' (rate-limit counters)",
    )
    parser.add_argument("--xquad", type=Path, default=REPO.parent / "shared/data/qa/xquad")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    args = parser.parse_args()  # fmt: skip

    work = Path(tempfile.mkdtemp(prefix="lotse-bench-load-"))
    site_dir = work / "site"
    site_dir.mkdir()
    questions = write_site(site_dir, args.xquad if args.xquad.exists() else None)
    site = serve_folder(site_dir)
    site_url = f"http://127.0.0.1:{site.server_address[1]}/index.html"
    llm = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_openai", "Laut der Quelle ist das so [1]."],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    llm_url = llm.stdout.readline().strip()
    rows = []
    try:
        for name in [s.strip() for s in args.setups.split(",") if s.strip()]:
            rows.append(run_setup(name, args, work, site_url, llm_url, questions))
    finally:
        llm.terminate()
        llm.wait(timeout=15)
        site.shutdown()
        if args.keep:
            print(f"\nkept {work} (server logs, the var folders)")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(
        f"\n{args.visitors} visitors for {args.duration:g} s each, think time ~{args.think:g} s, "
        "instant fake LLM; first token in ms"
    )
    header = ("setup", "procs", "requests", "req/s", "errors", "convs", "lost",
              "client p50", "client p95", "server p50", "server p95")  # fmt: skip
    print("  ".join(f"{h:>10}" for h in header))
    for row in rows:
        values = [row[k] for k in ("setup", "processes", "requests", "per_s", "errors",
                                   "conversations", "lost", "client_p50", "client_p95",
                                   "server_p50", "server_p95")]  # fmt: skip
        print("  ".join(f"{v:>10.0f}" if isinstance(v, float) else f"{v:>10}" for v in values))
        if row["error_kinds"]:
            print(f"{'':>10}  errors: {row['error_kinds']}")


if __name__ == "__main__":
    main()
