"""The load suite of issue 6: the app served by gunicorn on loopback, under three loads.

1. storm: the 2,000-delegate vote storm of issue 4 (bench/vote_storm.py, run as it is, with this
   suite's worker options: one worker on SQLite, four on PostgreSQL).
2. browse: a 200-clause platform with 3,000 amendments; 500 delegates signed in with a cookie
   session browse it as a phone does (the platform page, an amendment opened inline by the page's
   script, an amendment's page, the list of all amendments) while 100 delegates propose
   amendments through the API (read the document, preview, propose). First the ceiling on the
   quiet server: GET /api/v1/meetings/{slug} with a token at full speed (the vote storm's aiohttp
   load generator). Then the users: locust FastHttpUsers (bench/load_users.py) in a locust process
   of their own, run headless through locust.env.Environment, think times of a few seconds. Every
   request's status and time is kept; failures must be 0 and the amendments stored afterwards must
   equal the 201s counted; the throughput is set beside the ceiling.
3. streams: 2,000 delegates hold the meeting's event stream open (GET /api/v1/meetings/{slug}/events,
   one aiohttp connection each, in this process; an EventSource's behaviour: `retry:` honoured,
   Last-Event-ID on reconnecting; half of them connect at once, the others arrive spread over one
   stream's life). Measured with the streams open and idle: the server's memory and
   threads, its CPU, the ceiling next to the ceiling without streams. Then the chair creates and
   opens a poll, delegates vote (half, then, once every stream has ended and reconnected at least
   once, the other half: the events straddle every stream's end), and the chair closes it.
   Measured: the time from the chair's request to each stream receiving its event, from the last
   ballot to each stream seeing the final turnout; checked: every stream received every event of
   the meeting exactly once (by id; several turnout events in one batch are sent as one, so only
   the last turnout must arrive), across its reconnections.

Each scenario gets a fresh database (SQLite in a temporary directory; PostgreSQL with
BENCH_DATABASE_URL, a database whose name contains "bench", dropped and created again) and its
own gunicorn (gthread; one worker on SQLite, four on PostgreSQL), and prints a markdown table.

`python -m bench.load` runs all three; `python -m bench.load browse streams` runs those.
Settings (environment):
  storm    BENCH_VOTERS (2000), BENCH_CONCURRENCY (64), BENCH_QUIET_WAIT (vote_storm's),
           BENCH_STORM_GUNICORN (worker options)
  browse   BENCH_BROWSERS (500), BENCH_SUBMITTERS (100), BENCH_DELEGATES (2000), BENCH_CLAUSES (200),
           BENCH_AMENDMENTS (3000), BENCH_LOAD_SECONDS (60: measured), BENCH_RAMP_SECONDS (60: the users
           arrive and sign in, not measured), BENCH_THINK ("3-10": seconds between a user's requests),
           BENCH_TIMEOUT (120: a request's time limit), BENCH_BROWSE_GUNICORN
  streams  BENCH_STREAMS (2000), BENCH_STREAM_VOTERS (200), BENCH_STREAM_SECONDS (120, the app's default:
           how long the server keeps one stream), BENCH_IDLE_SECONDS (10), BENCH_VOTE_RATE (20 ballots/s), BENCH_CONNECTING (64:
           streams connecting at once, as phones in a hall), BENCH_STREAMS_GUNICORN
  both     BENCH_CEILING_REQUESTS (3000), BENCH_CONCURRENCY (64)
"""
from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import amendments as platform_bench
from bench import vote_storm
from bench.common import ROOT
from bench.vote_storm import SLUG, Api, cpu_delta, cpu_snapshot, percentile, serve, stop, summarise

SCENARIOS = ("storm", "browse", "streams")
WORKERS = {"sqlite": 1, "postgresql": 4}
PASSWORD = "load-suite-password"


def run_async(coroutine):
    """asyncio.run(coroutine), in a thread of its own when this thread already runs an event loop
    (in the test suite after Playwright's sync API, whose loop stays set on the main thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    import threading

    result: dict = {}

    def target():
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as error:  # noqa: BLE001 -- raised again in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=target, name="bench-load-asyncio")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def _kind(uri: str) -> str:
    return "postgresql" if vote_storm._is_postgres(uri) else "sqlite"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _database_name(uri: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(uri).database if _kind(uri) == "postgresql" else ""


# ---------------------------------------------------------------- the server's processes (Linux /proc)

def server_processes(server_pid: int) -> dict:
    """gunicorn's master and workers: how many workers, their resident memory and their threads."""
    out = {"workers": 0, "rss_mb": 0.0, "threads": 0, "worker_rss_mb": [], "worker_threads": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            if int(entry.name) != server_pid and ppid != server_pid:
                continue
            status = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
            rss = int(status["VmRSS"].split()[0]) / 1024
            threads = int(status["Threads"])
        except (OSError, ValueError, KeyError, IndexError):
            continue
        out["rss_mb"] += rss
        out["threads"] += threads
        if ppid == server_pid:
            out["workers"] += 1
            out["worker_rss_mb"].append(round(rss))
            out["worker_threads"].append(threads)
    return out


def memory_text(p: dict) -> str:
    return (f"{p['rss_mb']:.0f} MB, {p['threads']} threads (master and {p['workers']} worker(s); workers: "
            f"{', '.join(f'{r} MB/{t} threads' for r, t in zip(p['worker_rss_mb'], p['worker_threads']))})")


def log_errors(log: Path) -> list[str]:
    """The errors gunicorn logged: each traceback by its last line (the exception), each [ERROR] or
    [CRITICAL] line of gunicorn itself (a worker timed out, say)."""
    if not log.exists():
        return []
    out, in_traceback = [], False
    lines = log.read_text(errors="replace").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line and not line.startswith((" ", "The above", "During handling", "Traceback")):
            if i + 1 >= len(lines) or not lines[i + 1].startswith(" "):
                out.append(line[:200])
                in_traceback = False
        elif "[ERROR]" in line or "[CRITICAL]" in line:
            out.append(line.split("] ", 3)[-1][:200])
    return out


def errors_text(errors: list[str]) -> str:
    return "; ".join(f"{n} × {e}" for e, n in Counter(errors).most_common(4))


def cpu_share(cpu: dict, seconds: float) -> str:
    """Where the machine's CPU went during `seconds`, as shares of one core."""
    other = max(0.0, cpu["busy"] - cpu["gunicorn"] - cpu["postgres"] - cpu["loader"])
    parts = [f"gunicorn {cpu['gunicorn'] / seconds:.0%}"]
    if cpu["postgres"] > 0.05:
        parts.append(f"PostgreSQL {cpu['postgres'] / seconds:.0%}")
    parts += [f"load generator {cpu['loader'] / seconds:.0%}", f"other processes {other / seconds:.0%}",
              f"idle {cpu['idle'] / seconds:.0%}"]
    return "of one core: " + ", ".join(parts)


# ---------------------------------------------------------------- the ceiling

async def _ceiling(base: str, tokens: list[str], n: int, concurrency: int, server_pid: int, database: str,
                   limit: float = 120.0) -> dict:
    """The trivial endpoint at full speed: n GET /api/v1/meetings/{slug}, each with a delegate's token,
    `concurrency` keep-alive connections (vote_storm's load generator), for at most `limit` seconds."""
    import aiohttp

    path = f"/api/v1/meetings/{SLUG}"
    connector = aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=60)
    async with aiohttp.ClientSession(base, connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as client:
        await vote_storm._phase(client, [("GET", path, tokens[0], None)] * (4 * concurrency), concurrency)
        before = cpu_snapshot(server_pid, database)
        deadline = time.monotonic() + limit
        results: list = []
        chunk = 16 * concurrency  # in chunks, so that a server that stops answering does not hold the bench
        while len(results) < n and time.monotonic() < deadline:
            results += await vote_storm._phase(
                client, [("GET", path, tokens[i % len(tokens)], None)
                         for i in range(len(results), min(n, len(results) + chunk))], concurrency)
        cpu = cpu_delta(before, cpu_snapshot(server_pid, database))
    return {**summarise(results), "cpu": cpu}


def ceiling(base: str, tokens: list[str], server_pid: int, database: str, n: int | None = None,
            concurrency: int | None = None, limit: float = 120.0) -> dict:
    n = n or _env_int("BENCH_CEILING_REQUESTS", 3000)
    concurrency = concurrency or _env_int("BENCH_CONCURRENCY", 64)
    return run_async(_ceiling(base, tokens, n, concurrency, server_pid, database, limit))


# ---------------------------------------------------------------- 1. the vote storm

def storm_options(kind: str) -> str:
    # one worker on SQLite (its writes are serialised anyway), four on PostgreSQL; threads: see docs/performance.md
    return os.environ.get("BENCH_STORM_GUNICORN") or {"sqlite": "--workers 1 --threads 4",
                                                       "postgresql": "--workers 4 --threads 4"}[kind]


def storm(uri: str | None, voters: int | None = None, options: str | None = None,
          concurrency: int | None = None) -> dict:
    """vote_storm.run as it is, with this suite's worker options (uri None: SQLite in a temporary directory)."""
    kind = _kind(uri or "sqlite://")
    return vote_storm.run(uri, voters, options or storm_options(kind), concurrency)


# ---------------------------------------------------------------- 2. browse and submit

def seed(uri: str, *, delegates: int, clauses: int, amendments: int, browsers: int, seed_: int = 6) -> dict:
    """vote_storm.prepare (a meeting in session, delegates checked in, a token each), then an open
    platform of `clauses` clauses with `amendments` amendments by random delegates (proposed through
    the operation the pages and the API use), and a password for the first `browsers` delegates (a
    cheap hash: sign-in is not what is measured)."""
    from sqlalchemy import func, select, update
    from werkzeug.security import generate_password_hash

    from motions import create_app
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment
    from motions.auth.models import ApiToken, Person
    from motions.documents import operations as docs
    from motions.extensions import db
    from motions.meetings import operations as meetings

    chair, tokens = vote_storm.prepare(uri, delegates)
    rng = random.Random(seed_)
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": vote_storm.SECRET, "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        text, source = platform_bench.platform_text(clauses)
        document = docs.import_document(meetings.get_meeting(SLUG), title="Platform", text=text, format="markdown",
                                        kind="platform", by_id=None)
        docs.set_state(document, "open")
        rows = [(r.clause_id, r.text) for r in document.version().clause_texts if r.kind != "heading"]
        owner = dict(db.session.execute(select(ApiToken.token_hash, ApiToken.person_id)).all())
        people = [owner[ApiToken.digest(t)] for t in tokens]  # the delegates, in the tokens' order
        persons = {p.id: p for p in db.session.execute(select(Person).where(Person.id.in_(people))).scalars()}
        for _ in range(amendments):
            clause_id, clause_text = rng.choice(rows)
            amend.propose(document, persons[rng.choice(people)], clause_id=clause_id, kind="modify",
                          text=platform_bench.edit(clause_text, rng), title="", reason="Load suite.")
        hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        db.session.execute(update(Person).where(Person.id.in_(people[:browsers])).values(password_hash=hashed))
        db.session.commit()
        emails = dict(db.session.execute(select(Person.id, Person.email).where(Person.id.in_(people[:browsers]))).all())
        document_id = document.id
        amendment_ids = db.session.execute(select(Amendment.id).where(Amendment.document_id == document_id)
                                           .order_by(Amendment.id)).scalars().all()
        words = sum(len(t.split()) for _c, t in rows)
        assert db.session.execute(select(func.count()).select_from(Amendment)).scalar() == amendments
        db.session.remove()
        db.engine.dispose()
    return {"chair": chair, "tokens": tokens, "document": document_id, "clauses": rows, "amendments": amendment_ids,
            "emails": [emails[p] for p in people[:browsers]], "source": source, "words": words}


def stored_amendments(uri: str, document_id: int) -> int:
    from sqlalchemy import create_engine, func, select

    from motions.amendments.models import Amendment

    engine = create_engine(uri)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Amendment)
                                      .where(Amendment.document_id == document_id)).scalar()
    finally:
        engine.dispose()


def browse_options(kind: str) -> str:
    return os.environ.get("BENCH_BROWSE_GUNICORN") or {"sqlite": "--workers 1 --threads 8",
                                                        "postgresql": "--workers 4 --threads 8"}[kind]


def _think() -> tuple[float, float]:
    low, _, high = (os.environ.get("BENCH_THINK") or "3-10").partition("-")
    return float(low), float(high or low)


def browse(uri: str, tmp: str, *, browsers: int | None = None, submitters: int | None = None,
           delegates: int | None = None, clauses: int | None = None, amendments: int | None = None,
           seconds: float | None = None, ramp: float | None = None, think: tuple[float, float] | None = None,
           timeout: float | None = None, options: str | None = None, ceiling_requests: int | None = None,
           concurrency: int | None = None) -> dict:
    """Scenario 2 on the empty database `uri`; its figures."""
    kind = _kind(uri)
    browsers = browsers if browsers is not None else _env_int("BENCH_BROWSERS", 500)
    submitters = submitters if submitters is not None else _env_int("BENCH_SUBMITTERS", 100)
    delegates = delegates or max(_env_int("BENCH_DELEGATES", 2000), browsers + submitters)
    clauses = clauses or _env_int("BENCH_CLAUSES", 200)
    amendments = amendments if amendments is not None else _env_int("BENCH_AMENDMENTS", 3000)
    seconds = seconds or float(os.environ.get("BENCH_LOAD_SECONDS") or 60)
    ramp = ramp or float(os.environ.get("BENCH_RAMP_SECONDS") or 60)
    think = think or _think()
    timeout = timeout or float(os.environ.get("BENCH_TIMEOUT") or 120)
    options = options or browse_options(kind)
    started = time.monotonic()
    seeded = seed(uri, delegates=delegates, clauses=clauses, amendments=amendments, browsers=browsers)
    setup = time.monotonic() - started
    server, base, log = serve(uri, options, tmp)
    try:
        # the ceiling first, on the quiet server (after the run, requests whose users gave up may still be queued)
        top = ceiling(base, seeded["tokens"], server.pid, _database_name(uri), ceiling_requests, concurrency)
        spec_path, out_path = Path(tmp) / "browse-spec.json", Path(tmp) / "browse-results.json"
        spec = {"base": base, "slug": SLUG, "document": seeded["document"], "clauses": seeded["clauses"],
                "amendments": seeded["amendments"], "emails": seeded["emails"], "password": PASSWORD,
                "tokens": seeded["tokens"][browsers:browsers + submitters], "browsers": browsers,
                "submitters": submitters, "think": list(think), "ramp": ramp, "seconds": seconds, "timeout": timeout,
                "server_pid": server.pid, "database": _database_name(uri)}
        spec_path.write_text(json.dumps(spec))
        limit = ramp + seconds + 3 * timeout + 2 * think[1] + 120
        subprocess.run([sys.executable, "-m", "bench.load_users", str(spec_path), str(out_path)], cwd=ROOT,
                       check=True, timeout=limit)
        loaded = json.loads(out_path.read_text())
        memory = server_processes(server.pid)
        stored = stored_amendments(uri, seeded["document"]) - amendments
        errors = log_errors(log)
    finally:
        stop(server)
    return {"database": vote_storm.database_version(uri), "kind": kind, "gunicorn": f"gthread {options}",
            "setup": setup, "browsers": browsers, "submitters": submitters, "clauses": clauses,
            "amendments": amendments, "words": seeded["words"], "source": seeded["source"], "think": think,
            "ramp": ramp, "seconds": seconds, "timeout": timeout, "load": loaded, "stored": stored,
            "ceiling": top, "memory": memory, "server_errors": errors}


def report_browse(f: dict) -> None:
    load, c = f["load"], f["ceiling"]
    window = load["window"]
    print(f"browse + submit (issue 6): {f['database']}, gunicorn {f['gunicorn']}; {f['browsers']} delegates "
          f"browsing (cookie session) and {f['submitters']} proposing amendments (API, bearer token), locust "
          f"{load['locust']} FastHttpUsers, think time {f['think'][0]:g}–{f['think'][1]:g} s; a "
          f"{f['clauses']}-clause platform ({f['words']} words, {f['source']}) with {f['amendments']} amendments; "
          f"the users arrive over {f['ramp']:g} s (not measured), then {window:.0f} s measured; "
          f"setup {f['setup']:.0f} s")
    print()
    names = sorted(load["requests"], key=lambda n: (not n.startswith("page"), n))
    rows = []
    for name in names:
        r = load["requests"][name]
        other = {int(k): v for k, v in r["statuses"].items() if int(k) not in r["expected"]}
        rows.append((name, str(r["n"]), f"{r['n'] / window:.1f}",
                     f"{r['p50']:.0f} / {r['p95']:.0f} / {r['p99']:.0f} / {r['max']:.0f}",
                     f"{r['kb']:.0f}", str(r["failures"]) + (f" {other}" if other else "")))
    all_ = load["all"]
    rows.append(("all requests", str(all_["n"]), f"{all_['n'] / window:.1f}",
                 f"{all_['p50']:.0f} / {all_['p95']:.0f} / {all_['p99']:.0f} / {all_['max']:.0f}", "",
                 str(all_["failures"])))
    head = ("request (measured window)", "requests", "req/s", "ms p50 / p95 / p99 / max", "KB", "failures")
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(len(head))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |")
    print()
    cpu = load["cpu"]
    server_ms = cpu["gunicorn"] + cpu["postgres"]
    rate = all_["n"] / window
    sub = load["submitted"]
    measures = [
        ("failures over the whole run (arrival, window, the users' last tasks)", str(load["failures_total"]), "0"),
        ("answers 5xx over the whole run", str(load["server_errors_total"]), "0"),
        ("amendments proposed: answered 201 / stored afterwards", f"{sub['201']} / {f['stored']}", "equal"),
        ("proposals without an answer (timeout, connection)", str(sub["no_answer"]), "0"),
        ("throughput in the window (req/s)", f"{rate:.1f}", ""),
        ("offered: what the users would send if answered at once (users ÷ mean think time)",
         f"{(f['browsers'] + f['submitters']) / (sum(f['think']) / 2 or 1):.0f} req/s", ""),
        ("ceiling: GET /api/v1/meetings/{slug} req/s (aiohttp, "
         f"{c['n']} requests)", f"{c['rate']:.0f}", ""),
        ("ceiling latency p50 / p95 / p99", f"{c['p50']:.0f} / {c['p95']:.0f} / {c['p99']:.0f} ms", ""),
        ("throughput ÷ ceiling", f"{rate / c['rate']:.3f}", ""),
        ("server CPU per request: the mix / the ceiling",
         f"{server_ms * 1000 / max(1, all_['n']):.1f} ms / "
         f"{(c['cpu']['gunicorn'] + c['cpu']['postgres']) * 1000 / c['n']:.2f} ms", ""),
        (f"CPU in the window ({os.cpu_count()} cores)", cpu_share(cpu, window), ""),
        ("server memory after the run", memory_text(f["memory"]), ""),
        ("errors in the gunicorn log", str(len(f["server_errors"])), "0"),
    ]
    if load["failures_total"]:
        measures.insert(1, ("the failures, by kind", "; ".join(f"{n} × {k}" for k, n in load["failure_kinds"]), ""))
    if f["server_errors"]:
        measures.append(("the errors logged", errors_text(f["server_errors"]), ""))
    _table(measures)


def _table(rows: list[tuple[str, str, str]]) -> None:
    w0, w1 = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    print(f"| {'measure'.ljust(w0)} | {'figure'.ljust(w1)} | goal |")
    print(f"|{'-' * (w0 + 2)}|{'-' * (w1 + 2)}|------|")
    for name, figure, goal in rows:
        print(f"| {name.ljust(w0)} | {figure.ljust(w1)} | {goal} |")


# ---------------------------------------------------------------- 3. open event streams

class Stream:
    """One delegate's event stream, as a browser's EventSource keeps it: reconnects when the server
    ends it (after `retry:`), with Last-Event-ID; every event received is kept with when it came."""

    def __init__(self, index: int, token: str):
        self.index, self.token = index, token
        self.last_id: str | None = None  # sent as Last-Event-ID when reconnecting
        self.id_buffer: str | None = None
        self.retry = 1.0
        self.events: list[tuple[int, str, float, int | None]] = []  # (id, kind, when, voted)
        self.connects: list[float] = []  # when each connection was answered 200
        self.refused: Counter = Counter()  # status (0: no answer) -> how many
        self.cut = 0  # connections that broke off (not a clean end)

    async def run(self, client, gate: asyncio.Semaphore, delay: float = 0.0) -> None:
        import aiohttp

        path = f"/api/v1/meetings/{SLUG}/events"
        await asyncio.sleep(delay)
        while True:
            headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream",
                       "Cache-Control": "no-cache"}
            if self.last_id is not None:
                headers["Last-Event-ID"] = self.last_id
            try:
                async with gate:
                    response = await client.get(path, headers=headers)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                self.refused[0] += 1
                await asyncio.sleep(self.retry)
                continue
            try:
                if response.status != 200:
                    self.refused[response.status] += 1
                    await response.read()
                    await asyncio.sleep(self.retry)
                    continue
                self.connects.append(time.monotonic())
                data: list[str] = []
                async for raw in response.content:
                    line = raw.decode("utf-8").rstrip("\r\n")
                    if not line:  # dispatch, as the EventSource specification says: the id first, even
                        self.last_id = self.id_buffer  # for a message without data
                        if data:
                            event = json.loads("\n".join(data))
                            self.events.append((event.get("id"), event.get("kind"), time.monotonic(),
                                                event.get("voted")))
                        data = []
                    elif line.startswith("data:"):
                        data.append(line[5:].removeprefix(" "))
                    elif line.startswith("id:"):
                        self.id_buffer = line[3:].removeprefix(" ")
                    elif line.startswith("retry:") and line[6:].strip().isdigit():
                        self.retry = int(line[6:].strip()) / 1000
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError):
                self.cut += 1
            finally:
                response.release()
            await asyncio.sleep(self.retry)


def streams_options(kind: str, streams: int, seconds: float) -> str:
    """Enough threads for every stream (each holds one for its duration) and the requests beside them;
    on PostgreSQL a worker takes no more connections than it has threads, so that a stream never waits
    for a thread while another worker has one free."""
    given = os.environ.get("BENCH_STREAMS_GUNICORN")
    workers = WORKERS[kind]
    threads = math.ceil(streams / workers) + 100
    options = given or f"--workers {workers} --threads {threads} --worker-connections {threads}"
    return f"{options} --env MOTIONS_EVENT_STREAM_SECONDS={seconds:g}"


async def _vote(client, poll_id: int, tokens: list[str], rate: float, results: list) -> None:
    """Each token casts one ballot; `rate` ballots a second, each answer kept (status, sent, answered)."""
    start = time.monotonic()

    async def one(i: int, token: str) -> None:
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        sent = time.monotonic()
        try:
            async with client.post(f"/api/v1/polls/{poll_id}/ballots", json={"choice": random.choice(("yes", "no"))},
                                   headers={"Authorization": f"Bearer {token}"}) as response:
                await response.read()
                status = response.status
        except Exception:  # noqa: BLE001 -- no answer: counted as such
            status = 0
        results.append((status, sent, time.monotonic()))

    await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens)))


async def _streams(spec: dict) -> dict:
    import aiohttp

    base, n, voters = spec["base"], spec["streams"], spec["voters"]
    chair = Api(base, spec["chair"])
    loop = asyncio.get_running_loop()
    out: dict = {}

    async def call(method: str, path: str, body: dict | None = None) -> tuple[int, dict, float]:
        sent = time.monotonic()
        status, answer = await loop.run_in_executor(None, chair.call, method, path, body)
        return status, answer, sent

    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=60, sock_read=None)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as client:
        gate = asyncio.Semaphore(spec["connecting"])
        streams = [Stream(i, spec["tokens"][i % len(spec["tokens"])]) for i in range(n)]
        started = time.monotonic()
        # half the phones open the page at once (the first connection asks the server where the feed
        # is), the other half arrive spread over one stream's life (so that, when something happens,
        # some streams are between two connections, some before their first event)
        period, burst = spec["seconds"] + 1.0, n - n // 2
        tasks = [asyncio.create_task(s.run(client, gate, 0.0 if s.index < burst else
                                           period * (s.index - burst) / max(1, n // 2))) for s in streams]
        deadline = started + spec["connect_limit"]
        while sum(1 for s in streams if s.connects) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        out["connect_time"] = time.monotonic() - started
        out["connected"] = sum(1 for s in streams if s.connects)
        out["memory_open"] = server_processes(spec["server_pid"])
        # idle: the streams open, nothing happening
        await asyncio.sleep(1)
        before = cpu_snapshot(spec["server_pid"], spec["database"])
        t0 = time.monotonic()
        await asyncio.sleep(spec["idle"])
        out["idle_cpu"] = cpu_delta(before, cpu_snapshot(spec["server_pid"], spec["database"]))
        out["idle_seconds"] = time.monotonic() - t0
        out["memory_idle"] = server_processes(spec["server_pid"])
        # the ceiling beside the open streams (its own connections)
        out["ceiling_open"] = await _ceiling(base, spec["tokens"], spec["ceiling_requests"], spec["concurrency"],
                                             spec["server_pid"], spec["database"], spec["limit"])
        baseline = spec["last_event"]()
        before = cpu_snapshot(spec["server_pid"], spec["database"])
        action_started = time.monotonic()
        # the chair's actions and the ballots (a refused action is reported, and what depends on it skipped)
        sent: dict[str, float] = {}
        failed: list[str] = []
        ballots: list = []
        poll_id, closed, last_ballot = None, {}, None
        status, poll, at = await call("POST", f"/api/v1/meetings/{SLUG}/polls",
                                      {"title": "Streams", "subject": {"type": "none"}})
        if status == 201:
            poll_id, sent["poll.created"] = poll["id"], at
            await asyncio.sleep(1)
            status, _opened, at = await call("POST", f"/api/v1/polls/{poll_id}/open")
            if status == 200:
                sent["poll.opened"] = at
            else:
                failed.append(f"open the poll: HTTP {status}")
        else:
            failed.append(f"create a poll: HTTP {status}")
        if "poll.opened" in sent:
            vote_connector = aiohttp.TCPConnector(limit=64, keepalive_timeout=60)
            async with aiohttp.ClientSession(base, connector=vote_connector,
                                             timeout=aiohttp.ClientTimeout(total=60)) as voting:
                half = voters // 2
                await _vote(voting, poll_id, spec["voter_tokens"][:half], spec["rate"], ballots)
                # every stream ends and reconnects at least once between the two halves
                barrier = time.monotonic() + spec["seconds"] + 60
                while time.monotonic() < barrier and not all(any(c > sent["poll.opened"] for c in s.connects)
                                                             for s in streams):
                    await asyncio.sleep(0.1)
                out["reconnect_wait"] = time.monotonic() - sent["poll.opened"]
                await _vote(voting, poll_id, spec["voter_tokens"][half:voters], spec["rate"], ballots)
            last_ballot = max((end for status, _t, end in ballots if status == 201), default=None)
            await asyncio.sleep(1)
            status, closed, at = await call("POST", f"/api/v1/polls/{poll_id}/close")
            if status == 200:
                sent["poll.closed"] = at
            else:
                failed.append(f"close the poll: HTTP {status}")
        # wait for the last event to reach every stream
        settle = time.monotonic() + (spec["seconds"] + 30 if "poll.closed" in sent else 5)
        while time.monotonic() < settle and not all(any(k == "poll.closed" for _i, k, _w, _v in s.events)
                                                    for s in streams):
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        out["action_seconds"] = time.monotonic() - action_started
        out["action_cpu"] = cpu_delta(before, cpu_snapshot(spec["server_pid"], spec["database"]))
        out["memory_end"] = server_processes(spec["server_pid"])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    stored = spec["events_after"](baseline)
    out.update(poll=poll_id, ballots=ballots, closed=closed, stored_events=stored, sent=sent, chair_failed=failed,
               last_ballot=last_ballot, action_started=action_started,
               streams=[{"events": s.events, "connects": s.connects, "refused": dict(s.refused), "cut": s.cut}
                        for s in streams], started=started)
    return out


def events_after(uri: str, after: int) -> list[tuple[int, str, dict]]:
    """The meeting's events above `after`, as stored: (id, kind, data)."""
    from sqlalchemy import create_engine, select

    from motions.live.models import MeetingEvent

    table = MeetingEvent.__table__
    engine = create_engine(uri)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(table.c.id, table.c.kind, table.c.data).where(table.c.id > after)
                                      .order_by(table.c.id)).all()
    finally:
        engine.dispose()
    return [(r.id, r.kind, r.data if isinstance(r.data, dict) else json.loads(r.data or "{}")) for r in rows]


def last_event(uri: str) -> int:
    rows = events_after(uri, 0)
    return rows[-1][0] if rows else 0


def check_streams(out: dict, voters: int) -> dict:
    """Per stream: every stored event above the baseline exactly once (turnout: the batches' last,
    at most once each, and the final count), and when each measured event arrived."""
    stored = out["stored_events"]
    expected = {i for i, kind, _d in stored if kind != "poll.turnout"}
    turnouts = {i for i, kind, _d in stored if kind == "poll.turnout"}
    ids_of = {kind: i for i, kind, d in stored if d.get("poll") == out["poll"]}
    closed_at = ids_of.get("poll.closed")
    final = out["closed"].get("voted") if out["closed"] else sum(1 for b in out["ballots"] if b[0] == 201)
    delays: dict[str, list[float]] = {k: [] for k in ("poll.created", "poll.opened", "poll.closed", "final turnout")}
    complete = duplicated = missing = foreign = saw_final = 0
    kind_of = {i: kind for i, kind, _d in stored}
    missed: Counter = Counter()
    reconnects, during = [], []
    for s in out["streams"]:
        ids = [e[0] for e in s["events"]]
        got = set(ids)
        duplicated += len(ids) != len(got)
        missing += bool(expected - got)
        missed.update(kind_of[i] for i in expected - got)
        foreign += bool(got - expected - turnouts)
        complete += bool(s["connects"]) and len(ids) == len(got) and expected <= got and not (got - expected - turnouts)
        first = {}
        for i, kind, when, voted in s["events"]:
            first.setdefault(kind, when)
            if kind == "poll.turnout" and voted == final and "final turnout" not in first:
                first["final turnout"] = when
        for kind, sent in out["sent"].items():
            if kind in first:
                delays[kind].append(first[kind] - sent)
        if "final turnout" in first and out["last_ballot"] is not None:
            saw_final += 1
            delays["final turnout"].append(first["final turnout"] - out["last_ballot"])
        reconnects.append(max(0, len(s["connects"]) - 1))
        during.append(sum(1 for c in s["connects"] if c > out["sent"].get("poll.opened", math.inf)))
    return {"expected": len(expected), "turnout_events": len(turnouts), "complete": complete,
            "duplicated": duplicated, "missing": missing, "missed": dict(missed), "foreign": foreign,
            "saw_final": saw_final,
            "final": final, "delays": {k: sorted(v) for k, v in delays.items()}, "closed_id": closed_at,
            "reconnects": reconnects, "reconnected_during": during,
            "refused": sum((Counter({int(k): v for k, v in s["refused"].items()}) for s in out["streams"]), Counter()),
            "cut": sum(s["cut"] for s in out["streams"])}


def streams(uri: str, tmp: str, *, n: int | None = None, voters: int | None = None, seconds: float | None = None,
            idle: float | None = None, rate: float | None = None, options: str | None = None,
            ceiling_requests: int | None = None, concurrency: int | None = None, connecting: int | None = None,
            limit: float | None = None) -> dict:
    """Scenario 3 on the empty database `uri`; its figures."""
    kind = _kind(uri)
    n = n or _env_int("BENCH_STREAMS", 2000)
    voters = voters or _env_int("BENCH_STREAM_VOTERS", 200)
    seconds = seconds or float(os.environ.get("BENCH_STREAM_SECONDS") or 120)
    idle = idle or float(os.environ.get("BENCH_IDLE_SECONDS") or 10)
    rate = rate or float(os.environ.get("BENCH_VOTE_RATE") or 20)
    ceiling_requests = ceiling_requests or _env_int("BENCH_CEILING_REQUESTS", 3000)
    concurrency = concurrency or _env_int("BENCH_CONCURRENCY", 64)
    connecting = connecting or _env_int("BENCH_CONNECTING", 64)
    options = options or streams_options(kind, n, seconds)
    started = time.monotonic()
    chair, tokens = vote_storm.prepare(uri, max(n, voters))
    setup = time.monotonic() - started
    server, base, log = serve(uri, options, tmp)
    try:
        database = _database_name(uri)
        alone = ceiling(base, tokens, server.pid, database, ceiling_requests, concurrency, limit or 120.0)
        memory_before = server_processes(server.pid)
        spec = {"base": base, "chair": chair, "tokens": tokens[:n], "voter_tokens": tokens[:voters], "streams": n,
                "voters": voters, "seconds": seconds, "idle": idle, "rate": rate, "server_pid": server.pid,
                "database": database, "connecting": connecting, "limit": limit or 120.0,
                "connect_limit": (limit or 120.0) + seconds + n / 20,
                "ceiling_requests": ceiling_requests, "concurrency": concurrency,
                "last_event": lambda: last_event(uri), "events_after": lambda after: events_after(uri, after)}
        out = run_async(_streams(spec))
        errors = log_errors(log)
    finally:
        stop(server)
    return {"database": vote_storm.database_version(uri), "kind": kind, "gunicorn": f"gthread {options}",
            "setup": setup, "n": n, "voters": voters, "seconds": seconds, "rate": rate, "ceiling": alone,
            "connecting": connecting,
            "memory_before": memory_before, **out, "check": check_streams(out, voters), "server_errors": errors}


def _spread(values: list[float]) -> str:
    if not values:
        return "none"
    return (f"{percentile(values, 50) * 1000:.0f} / {percentile(values, 95) * 1000:.0f} / "
            f"{values[-1] * 1000:.0f} ms ({len(values)} streams)")


def report_streams(f: dict) -> None:
    c = f["check"]
    n = f["n"]
    ballots = Counter(status for status, _s, _e in f["ballots"])
    print(f"open event streams (issue 6): {f['database']}, gunicorn {f['gunicorn']}; {n} streams (aiohttp, one "
          f"connection each, in the bench process, EventSource's behaviour; half connect at once, at most "
          f"{f['connecting']} at a time, half arrive over one stream's life), "
          f"{f['voters']} ballots at {f['rate']:g}/s; setup {f['setup']:.0f} s")
    print()
    idle = f["idle_cpu"]
    co, ca = f["ceiling_open"], f["ceiling"]
    rows = [
        ("streams connected (answered 200)", f"{f['connected']} of {n} in {f['connect_time']:.1f} s", f"{n}"),
        ("stream requests refused (status: count) / broken off", f"{dict(c['refused']) or 0} / {c['cut']}", "0 / 0"),
        ("server memory before the streams", memory_text(f["memory_before"]), ""),
        (f"server memory with {n} streams open", memory_text(f["memory_open"]), ""),
        (f"CPU with {n} streams open, idle ({f['idle_seconds']:.0f} s)", cpu_share(idle, f["idle_seconds"]), ""),
        ("ceiling req/s: no streams / streams open (ratio)",
         f"{ca['rate']:.0f} / {co['rate']:.0f} ({co['rate'] / ca['rate']:.2f})", ""),
        ("ceiling p50 / p95 with streams open", f"{co['p50']:.0f} / {co['p95']:.0f} ms", ""),
        ("ballots answered 201 / other", f"{ballots.get(201, 0)} / {sum(v for k, v in ballots.items() if k != 201)}",
         f"{f['voters']} / 0"),
        ("chair creates the poll → stream has poll.created, p50 / p95 / max", _spread(c["delays"]["poll.created"]), ""),
        ("chair opens the poll → poll.opened, p50 / p95 / max", _spread(c["delays"]["poll.opened"]), ""),
        ("chair closes the poll → poll.closed, p50 / p95 / max", _spread(c["delays"]["poll.closed"]), ""),
        (f"last ballot answered → turnout {c['final']} shown, p50 / p95 / max", _spread(c["delays"]["final turnout"]),
         ""),
        (f"streams that saw the final turnout ({c['final']})", f"{c['saw_final']} of {n}", f"{n}"),
        ("events stored during the actions: others / turnout", f"{c['expected']} / {c['turnout_events']}", ""),
        ("streams with every event exactly once (by id)",
         f"{c['complete']} of {n}" if c["expected"] else "nothing to check: no event", f"{n}"),
        ("streams with an event twice / an event missing", f"{c['duplicated']} / {c['missing']}"
         + (f" (missed: {c['missed']})" if c["missed"] else ""), "0 / 0"),
        ("reconnections per stream during the actions (min / max)",
         f"{min(c['reconnected_during'], default=0)} / {max(c['reconnected_during'], default=0)}", "≥ 1"),
        ("reconnections in all", str(sum(c["reconnects"])), ""),
        (f"CPU during the actions ({f['action_seconds']:.0f} s)", cpu_share(f["action_cpu"], f["action_seconds"]), ""),
        ("server memory at the end", memory_text(f["memory_end"]), ""),
        ("errors in the gunicorn log", str(len(f["server_errors"])), "0"),
    ]
    if f["server_errors"]:
        rows.append(("the errors logged", errors_text(f["server_errors"]), ""))
    if f["chair_failed"]:
        rows.insert(7, ("the chair's requests refused", "; ".join(f["chair_failed"]), "none"))
    _table(rows)


# ---------------------------------------------------------------- running

def _fresh(kind_tmp: str) -> str:
    uri = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{kind_tmp}/load.sqlite3"
    vote_storm.fresh_database(uri)
    return uri


def run_scenario(name: str) -> None:
    if name == "storm":
        uri = os.environ.get("BENCH_DATABASE_URL") or None
        if int(os.environ.get("BENCH_VOTERS", "2000")) <= 0:
            print("vote storm skipped (BENCH_VOTERS=0)")
            return
        vote_storm.report(storm(uri))
        return
    with tempfile.TemporaryDirectory(prefix=f"load-{name}-") as tmp:
        uri = _fresh(tmp)
        try:
            if name == "browse":
                report_browse(browse(uri, tmp))
            else:
                report_streams(streams(uri, tmp))
        finally:
            vote_storm.drop_database(uri)


def main(argv: list[str]) -> int:
    chosen = argv or list(SCENARIOS)
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    uri = os.environ.get("BENCH_DATABASE_URL", "")
    if uri and not vote_storm.bench_database(uri):
        print("BENCH_DATABASE_URL must name a PostgreSQL database whose name contains \"bench\"", file=sys.stderr)
        return 2
    os.environ.setdefault("MOTIONS_SECURE_COOKIES", "0")
    print(f"machine: {platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
          f"Python {platform.python_version()} · {platform.platform()}")
    failed = []
    for name in chosen:
        print()
        sys.stdout.flush()
        try:
            run_scenario(name)
        except Exception:  # noqa: BLE001 -- the other scenarios still run; the failure is shown
            import traceback

            failed.append(name)
            print(f"{name}: the scenario failed, no figures:\n```\n{traceback.format_exc()}```")
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
