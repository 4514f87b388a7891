"""The vote storm of issue 4: 2,000 signed-in delegates vote in one poll through HTTP, against the
app served by gunicorn on loopback, while the projector's event stream watches the turnout.

What happens:

1. A fresh database (SQLite in a temporary directory, or the PostgreSQL database named by
   BENCH_DATABASE_URL, dropped and created again: its name must contain "bench"), migrated; one
   meeting in session, BENCH_VOTERS delegates (default 2,000) checked in, one chair; a bearer
   token each (rows inserted in one transaction: no passwords are hashed).
2. gunicorn serves wsgi:app on 127.0.0.1 and a free port (BENCH_GUNICORN: its worker options).
3. The chair creates and opens a poll through the API, and opens the event stream
   (GET /api/v1/meetings/{slug}/events) in a thread of this process: the projector.
4. A separate process, the load generator (aiohttp, asyncio, BENCH_CONCURRENCY keep-alive
   connections, default 64), warms the connections up, then each delegate posts exactly one ballot
   (yes, no or abstain); every answer's status and latency is recorded. Then the ceiling: the same
   number of GET /api/v1/meetings/{slug}, each with a delegate's token, at the same concurrency.
5. Checked: every ballot answered 201, the poll's turnout (GET /api/v1/polls/{id}) equals the
   number of delegates, the counts of the closed poll equal the choices sent; measured: ballots/s,
   latency p50/p95/p99, the delay from the last ballot's answer to the projector's turnout event
   with every ballot counted, the ceiling and the ratio, and where the CPU went.
6. gunicorn stopped, the temporary directory removed, the PostgreSQL bench database dropped.

`python -m bench.vote_storm` runs it alone; `make bench` runs it after the other benches.
Settings (environment): BENCH_VOTERS (2000; 0 skips), BENCH_DATABASE_URL, BENCH_GUNICORN (worker
options, default below), BENCH_CONCURRENCY (64), BENCH_SECRET (1: a secret poll, whose choices go to the anonymous
tallies; default 0, a named poll), BENCH_QUIET_WAIT (seconds to wait, before the storm,
for other processes' load to drop on a shared machine; default 120; the table says when it did not).
"""
from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import resource
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.common import ROOT

SLUG = "storm"
SECRET = "vote-storm-bench-secret"
CHOICES = ("yes", "no", "abstain")
WEIGHTS = (50, 35, 15)
# Measured on the 2-core machine (docs/performance.md): among the best of the configurations tried
# on both databases, and with the shortest tail; BENCH_GUNICORN="--workers 4 --threads 4" tries another.
DEFAULT_GUNICORN = {"sqlite": "--workers 2 --threads 4", "postgresql": "--workers 2 --threads 4"}
QUIET = 0.25  # the machine counts as quiet below this share of its CPU busy


# ---------------------------------------------------------------- the database

def _is_postgres(uri: str) -> bool:
    return uri.startswith(("postgresql:", "postgresql+", "postgres:"))


def bench_database(uri: str) -> bool:
    """A PostgreSQL database this bench may drop: its name contains "bench"."""
    from sqlalchemy.engine import make_url

    return _is_postgres(uri) and "bench" in (make_url(uri).database or "")


def _admin(uri: str):
    """(admin connection string, database name) for a PostgreSQL URL; refuses a name without "bench"."""
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    name = url.database or ""
    if "bench" not in name:
        raise SystemExit(f"vote storm: refusing to drop and create the database {name!r}: "
                         "a bench database's name contains \"bench\"")
    admin = url.set(drivername="postgresql", database="postgres")
    return admin.render_as_string(hide_password=False), name


def fresh_database(uri: str) -> None:
    """PostgreSQL: drop the bench database (ending its connections) and create it empty."""
    if not _is_postgres(uri):
        return
    import psycopg

    conninfo, name = _admin(uri)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(uri: str) -> None:
    if not _is_postgres(uri):
        return
    import psycopg

    conninfo, name = _admin(uri)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_version(uri: str) -> str:
    if _is_postgres(uri):
        import psycopg

        conninfo, _name = _admin(uri)
        with psycopg.connect(conninfo) as conn:
            return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0].split()[0]
    import sqlite3

    return "SQLite " + sqlite3.sqlite_version


def prepare(uri: str, voters: int) -> tuple[str, list[str]]:
    """Migrate; one meeting in session, `voters` delegates present, a chair; tokens for all.
    Returns (the chair's token, the delegates' tokens)."""
    from flask_migrate import upgrade

    from motions import create_app
    from motions.auth.models import ApiToken, Person, utcnow
    from motions.auth.operations import issue_token
    from motions.extensions import db
    from motions.meetings import operations as meetings
    from motions.meetings.models import Membership, MembershipRole

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET, "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        upgrade()
        meeting = meetings.create_meeting({"slug": SLUG, "title": "Vote storm"}, creator=None)
        meetings.save_person({"name": "Chair", "email": "chair@storm.example.org", "password": "benchmark!"})
        meetings.add_person(meeting, {"name": "Chair", "email": "chair@storm.example.org", "roles": ["chair"]})
        chair = db.session.execute(db.select(Person).filter_by(email="chair@storm.example.org")).scalar_one()
        now = utcnow()
        # the delegates in one multi-row insert each: no password hashes (they vote with tokens)
        db.session.execute(db.insert(Person), [
            {"name": f"Delegate {i}", "email": f"d{i}@storm.example.org", "organisation": f"Branch {i % 150}",
             "is_organiser": False} for i in range(voters)])
        people = db.session.execute(db.select(Person.id).where(Person.email.like("d%@storm.example.org"))
                                    .order_by(Person.id)).scalars().all()
        db.session.execute(db.insert(Membership), [{"meeting_id": meeting.id, "person_id": p, "vote_weight": 1,
                                                    "present": True, "present_since": now} for p in people])
        members = db.session.execute(db.select(Membership.id).where(Membership.meeting_id == meeting.id,
                                                                    Membership.person_id.in_(people))).scalars().all()
        db.session.execute(db.insert(MembershipRole), [{"membership_id": m, "role": "delegate"} for m in members])
        # what issue_token stores (the SHA-256 of a random token), for 2,000 people in one transaction
        tokens = [secrets.token_urlsafe(32) for _ in people]
        db.session.execute(db.insert(ApiToken), [{"person_id": p, "token_hash": ApiToken.digest(t)}
                                                 for p, t in zip(people, tokens)])
        db.session.commit()
        chair_token = issue_token(chair)
        meetings.set_meeting_state(meeting, "in_session", by=chair)
        db.session.remove()
        db.engine.dispose()
    return chair_token, tokens


# ---------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(uri: str, options: str, tmp: str) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = Path(tmp) / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": SECRET, "MOTIONS_SECURE_COOKIES": "0",
           "MOTIONS_EVENT_STREAM_SECONDS": "600"}
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
               *shlex.split(options), "--keep-alive", "30", "--graceful-timeout", "3",
               "--error-logfile", str(log), "--chdir", str(ROOT), "wsgi:app"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}):\n{_tail(log)}")
        try:
            if Api(base, "").call("GET", "/api/v1/openapi.json")[0] == 200:
                return server, base, log
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop(server)
            raise RuntimeError(f"gunicorn did not answer within 60 s:\n{_tail(log)}")
        time.sleep(0.1)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"


def stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


class Api:
    """The chair's calls (a few, outside the measurement): the standard library's HTTP client."""

    def __init__(self, base: str, token: str):
        self.address = base.removeprefix("http://")
        self.token = token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        connection = http.client.HTTPConnection(self.address, timeout=60)
        try:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            data = None
            if body is not None:
                data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            return response.status, (json.loads(raw) if raw and response.status < 500 else {})
        finally:
            connection.close()


# ---------------------------------------------------------------- the projector

class Projector(threading.Thread):
    """The chair's event stream: notes when a turnout event says every delegate has voted."""

    def __init__(self, base: str, token: str, poll_id: int, target: int):
        super().__init__(daemon=True)
        self.base, self.token, self.poll_id, self.target = base, token, poll_id, target
        self.ready, self.reached = threading.Event(), threading.Event()
        self.reached_at: float | None = None
        self.turnouts: list[tuple[float, int]] = []
        self.error: str | None = None

    def run(self) -> None:
        connection = http.client.HTTPConnection(self.base.removeprefix("http://"), timeout=None)
        try:
            connection.request("GET", f"/api/v1/meetings/{SLUG}/events",
                               headers={"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"})
            response = connection.getresponse()
            if response.status != 200:
                self.error = f"events: HTTP {response.status}"
                return
            data: list[str] = []
            while raw := response.readline():
                line = raw.decode("utf-8").rstrip("\r\n")
                self.ready.set()
                if line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    event, data = json.loads("\n".join(data)), []
                    if event.get("kind") == "poll.turnout" and event.get("poll") == self.poll_id:
                        now = time.monotonic()
                        self.turnouts.append((now, event.get("voted", 0)))
                        if event.get("voted", 0) >= self.target:
                            self.reached_at = now
                            self.reached.set()
                            return
        except Exception as error:  # the server stopping ends the stream too
            if not self.reached.is_set():
                self.error = f"{type(error).__name__}: {error}"
        finally:
            self.ready.set()
            connection.close()


# ---------------------------------------------------------------- CPU accounting (Linux /proc)

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_snapshot(server_pid: int, database: str = "") -> dict:
    """CPU seconds so far: the machine (busy, idle, steal), gunicorn (master and workers), the
    PostgreSQL server (its own processes and the bench database's connections; connections to
    other databases are someone else's), this process."""
    out = {"gunicorn": 0.0, "postgres": 0.0, "busy": 0.0, "idle": 0.0, "steal": 0.0}
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        v = [int(x) / TICK for x in fields]
        user, nice, system, idle, iowait, irq, softirq, steal = (v + [0.0] * 8)[:8]
        out.update(busy=user + nice + system + irq + softirq, idle=idle + iowait, steal=steal)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:  # a process may end while it is read
                stat = (entry / "stat").read_text()
                comm = stat[stat.index("(") + 1:stat.rindex(")")]
                rest = stat[stat.rindex(")") + 2:].split()
                pid, ppid, cpu = int(entry.name), int(rest[1]), (int(rest[11]) + int(rest[12])) / TICK
                if pid == server_pid or ppid == server_pid:
                    out["gunicorn"] += cpu
                elif comm == "postgres":
                    # a connection reads "postgres: [cluster:] user database host(port) state"
                    words = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
                    at = next((i for i, w in enumerate(words) if w.endswith(")") and "(" in w or w == "[local]"),
                              None)
                    if at is None or words[at - 1] == database:
                        out["postgres"] += cpu
            except (OSError, ValueError, IndexError):
                continue
    except (OSError, ValueError, IndexError):
        pass
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["loader"] = usage.ru_utime + usage.ru_stime
    return out


def cpu_delta(before: dict, after: dict) -> dict:
    return {k: after[k] - before[k] for k in before}


# ---------------------------------------------------------------- the load generator (its own process)

async def _phase(client, requests: list[tuple], concurrency: int) -> list[tuple[int, float, float]]:
    """Send every request with `concurrency` in flight; (status, start, end) each (status 0: failed).
    The end is taken once the whole answer has been read."""
    import aiohttp

    results: list = [None] * len(requests)
    queue = iter(enumerate(requests))

    async def worker():
        for i, (method, url, token, body) in queue:
            start = time.monotonic()
            try:
                async with client.request(method, url, json=body,
                                          headers={"Authorization": f"Bearer {token}"}) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, asyncio.TimeoutError):
                status = 0
            results[i] = (status, start, time.monotonic())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


async def _load(spec: dict) -> dict:
    import aiohttp

    c = spec["concurrency"]
    out = {}
    connector = aiohttp.TCPConnector(limit=c, keepalive_timeout=60)
    async with aiohttp.ClientSession(spec["base"], connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as client:
        meeting = f"/api/v1/meetings/{spec['slug']}"
        # open every connection and wake every worker thread first (not measured)
        await _phase(client, [("GET", meeting, spec["chair"], None)] * (4 * c), c)
        ballots = [("POST", f"/api/v1/polls/{spec['poll']}/ballots", t, {"choice": choice})
                   for t, choice in zip(spec["tokens"], spec["choices"])]
        ceiling = [("GET", meeting, t, None) for t in spec["tokens"]]
        for name, requests in (("storm", ballots), ("ceiling", ceiling)):
            before = cpu_snapshot(spec["server_pid"], spec["database"])
            results = await _phase(client, requests, c)
            out[name] = {"results": results, "cpu": cpu_delta(before, cpu_snapshot(spec["server_pid"],
                                                                                  spec["database"]))}
    return out


def load_main(spec_path: str, out_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    Path(out_path).write_text(json.dumps(asyncio.run(_load(spec))))
    return 0


# ---------------------------------------------------------------- the figures

def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


def summarise(results: list[tuple[int, float, float]]) -> dict:
    statuses = Counter(r[0] for r in results)
    latencies = sorted((end - start) * 1000 for _s, start, end in results)
    span = max(r[2] for r in results) - min(r[1] for r in results)
    return {"n": len(results), "statuses": dict(statuses), "span": span, "rate": len(results) / span,
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
            "max": latencies[-1], "last_end": max(r[2] for r in results)}


def cpu_text(cpu: dict, n: int) -> str:
    """Where the machine's CPU went, in ms per request."""
    other = max(0.0, cpu["busy"] - cpu["gunicorn"] - cpu["postgres"] - cpu["loader"])
    parts = [f"gunicorn {cpu['gunicorn'] * 1000 / n:.1f}"]
    if cpu["postgres"] > 0.05:
        parts.append(f"PostgreSQL {cpu['postgres'] * 1000 / n:.1f}")
    parts += [f"load generator {cpu['loader'] * 1000 / n:.1f}", f"other processes {other * 1000 / n:.1f}",
              f"idle {cpu['idle'] * 1000 / n:.1f}"]
    if cpu["steal"] > 0.05:
        parts.append(f"steal {cpu['steal'] * 1000 / n:.1f}")
    return "ms per request: " + ", ".join(parts)


def busy_share(seconds: float = 1.0) -> float:
    """The share of the machine's CPU in use over `seconds` (0 where /proc/stat is missing)."""
    def sample():
        values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        return sum(values), values[3] + values[4]
    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError):
        return 0.0
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_quiet(limit: float) -> float:
    """On a shared machine: wait up to `limit` seconds for the others' load to drop; the last share."""
    deadline = time.monotonic() + limit
    share = busy_share()
    while share >= QUIET and time.monotonic() < deadline:
        share = busy_share()
    return share


def run(uri: str | None = None, voters: int | None = None, options: str | None = None,
        concurrency: int | None = None) -> dict:
    from sqlalchemy.engine import make_url

    voters = voters if voters is not None else int(os.environ.get("BENCH_VOTERS", "2000"))
    concurrency = concurrency or int(os.environ.get("BENCH_CONCURRENCY", "64"))
    secret = os.environ.get("BENCH_SECRET", "0") not in ("", "0")
    with tempfile.TemporaryDirectory(prefix="vote-storm-") as tmp:
        uri = uri or os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/storm.sqlite3"
        kind = "postgresql" if _is_postgres(uri) else "sqlite"
        options = options or os.environ.get("BENCH_GUNICORN") or DEFAULT_GUNICORN[kind]
        fresh_database(uri)
        server = None
        try:
            started = time.monotonic()
            chair, tokens = prepare(uri, voters)
            setup = time.monotonic() - started
            server, base, log = serve(uri, options, tmp)
            api = Api(base, chair)
            status, poll = api.call("POST", f"/api/v1/meetings/{SLUG}/polls",
                                    {"title": "Vote storm", "subject": {"type": "none"}, "secret": secret})
            assert status == 201, (status, poll)
            poll_id = poll["id"]
            status, poll = api.call("POST", f"/api/v1/polls/{poll_id}/open")
            assert status == 200, (status, poll)
            projector = Projector(base, chair, poll_id, voters)
            projector.start()
            if not projector.ready.wait(10) or projector.error:
                raise RuntimeError(f"the event stream did not start: {projector.error}")
            rng = random.Random(4)
            choices = rng.choices(CHOICES, WEIGHTS, k=voters)
            spec, out = Path(tmp) / "spec.json", Path(tmp) / "results.json"
            spec.write_text(json.dumps({"base": base, "slug": SLUG, "poll": poll_id, "chair": chair,
                                        "tokens": tokens, "choices": choices, "concurrency": concurrency,
                                        "server_pid": server.pid,
                                        "database": make_url(uri).database if kind == "postgresql" else ""}))
            busy = wait_quiet(float(os.environ.get("BENCH_QUIET_WAIT", "120")))
            subprocess.run([sys.executable, "-m", "bench.vote_storm", "--load", str(spec), str(out)],
                           cwd=ROOT, check=True)
            loaded = json.loads(out.read_text())
            projector.reached.wait(5)
            voted = api.call("GET", f"/api/v1/polls/{poll_id}")[1]["voted"]
            status, closed = api.call("POST", f"/api/v1/polls/{poll_id}/close")
            assert status == 200, (status, closed)
            counts = closed["result"]["counts"]
            storm, ceiling = summarise(loaded["storm"]["results"]), summarise(loaded["ceiling"]["results"])
            delay = projector.reached_at - storm["last_end"] if projector.reached_at is not None else None
            errors = [line for line in log.read_text().splitlines() if "Traceback" in line or "ERROR" in line]
            return {
                "database": database_version(uri), "kind": kind, "voters": voters, "concurrency": concurrency,
                "gunicorn": f"gthread {options}", "setup": setup, "secret": secret, "storm": storm, "ceiling": ceiling,
                "voted": voted, "counts": counts, "sent": dict(Counter(choices)), "turnout_delay": delay,
                "turnout_events": len(projector.turnouts), "projector_error": projector.error,
                "cpu_storm": cpu_text(loaded["storm"]["cpu"], storm["n"]),
                "cpu_ceiling": cpu_text(loaded["ceiling"]["cpu"], ceiling["n"]),
                "busy_before": busy, "cpu_raw": {k: loaded[k]["cpu"] for k in ("storm", "ceiling")},
                "server_errors": len(errors),
            }
        finally:
            if server is not None:
                stop(server)
            drop_database(uri)


def report(f: dict) -> None:
    s, c = f["storm"], f["ceiling"]
    n = f["voters"]
    other = {k: v for k, v in s["statuses"].items() if k != 201}
    delay = f"{f['turnout_delay']:.2f} s" if f["turnout_delay"] is not None else \
        f"never ({f['projector_error'] or 'no event with every ballot'})"
    ok_counts = all(f["counts"].get(k, 0) == f["sent"].get(k, 0) for k in CHOICES)
    print(f"vote storm (issue 4): {f['database']}, {n} delegates, {'secret' if f['secret'] else 'named'} poll, gunicorn {f['gunicorn']}, "
          f"{f['concurrency']} keep-alive connections (aiohttp), setup {f['setup']:.1f} s")
    cpu = f["cpu_raw"]["storm"]
    others = max(0.0, cpu["busy"] - cpu["gunicorn"] - cpu["postgres"] - cpu["loader"])
    if f["busy_before"] >= QUIET or others > 0.1 * (os.cpu_count() or 1) * s["span"]:
        print(f"NOTE: the machine was shared: {f['busy_before']:.0%} of its CPU busy just before the storm, "
              f"{others:.1f} CPU-s taken by other processes during it; the figures understate the server.")
    print()
    rows = [
        ("ballots answered 201 / other answers", f"{s['statuses'].get(201, 0)} / {sum(other.values())}"
         + (f" {other}" if other else ""), f"{n} / 0"),
        ("stored: the poll's voted (GET /api/v1/polls/{id})", str(f["voted"]), str(n)),
        ("counts of the closed poll = choices sent", "yes" if ok_counts else f"no: {f['counts']} vs {f['sent']}",
         "yes"),
        ("storm: first request to last answer", f"{s['span']:.2f} s", ""),
        ("ballots/s", f"{s['rate']:.0f}", "≥ 400"),
        ("ballot latency p50 / p95 / p99 / max", f"{s['p50']:.0f} / {s['p95']:.0f} / {s['p99']:.0f} / "
         f"{s['max']:.0f} ms", "p95 < 250 ms"),
        (f"projector: turnout {n} after the last ballot's answer", delay, "< 1 s"),
        ("ceiling: GET /api/v1/meetings/{slug} req/s", f"{c['rate']:.0f}", ""),
        ("ceiling latency p50 / p95 / p99", f"{c['p50']:.0f} / {c['p95']:.0f} / {c['p99']:.0f} ms", ""),
        ("ballots/s ÷ ceiling", f"{s['rate'] / c['rate']:.2f}", ""),
        (f"CPU during the storm ({os.cpu_count()} cores)", f["cpu_storm"], ""),
        ("CPU during the ceiling", f["cpu_ceiling"], ""),
        ("errors in the gunicorn log", str(f["server_errors"]), "0"),
    ]
    w0, w1 = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    print(f"| {'measure'.ljust(w0)} | {'figure'.ljust(w1)} | goal |")
    print(f"|{'-' * (w0 + 2)}|{'-' * (w1 + 2)}|------|")
    for name, figure, goal in rows:
        print(f"| {name.ljust(w0)} | {figure.ljust(w1)} | {goal} |")


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--load":
        return load_main(sys.argv[2], sys.argv[3])
    if int(os.environ.get("BENCH_VOTERS", "2000")) <= 0:
        print("vote storm skipped (BENCH_VOTERS=0)")
        return 0
    report(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
