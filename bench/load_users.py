"""The locust users of the load suite's browse + submit scenario (bench/load.py starts this module in
a process of its own: `python -m bench.load_users SPEC.json RESULTS.json`; locust patches the
process with gevent when imported).

- Browser: a delegate on a phone. Signs in through the /login form (CSRF token, cookie session),
  opens the platform page (with the style sheet and scripts, once), then, with a think time
  between, what the page offers: an amendment opened inline (the page's script fetches
  /amendments/{id}/redline), an amendment's own page, the list of all amendments, the platform
  page again.
- Submitter: a delegate's client on the API (bearer token). Reads the document once
  (GET /api/v1/documents/{id}); then, again and again: previews an amendment to a random clause
  (POST .../amendments/preview), thinks, proposes it (POST .../amendments, 201).

Every request's name, status, start and time are recorded (locust's request event); the run is
`ramp` seconds of arrival (the users spawn evenly and sign in), then `seconds` measured, then the
users finish the task they are in (locust's stop_timeout) so that every proposal sent gets its
answer. The results (per request name over the measured window, failures over the whole run, the
201s) go to RESULTS.json. Also usable with locust's own command line: BENCH_LOAD_SPEC=SPEC.json
locust -f bench/load_users.py --headless ... (the host and the data come from the spec).
"""
from __future__ import annotations

import itertools
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, events, task

from bench import amendments as platform_bench
from bench.common import csrf_token
from bench.vote_storm import cpu_delta, cpu_snapshot, percentile

SPEC: dict = {}
RECORDS: list[tuple[str, int, float, float, int, str]] = []  # name, status, start (epoch), ms, bytes, error
EXPECTED: dict[str, set[int]] = {}  # name -> the statuses that are a success
STATIC = ("/static/style.css", "/static/amend.js", "/static/live.js")


def configure(spec: dict) -> None:
    SPEC.clear()
    SPEC.update(spec)
    SPEC["next_email"] = itertools.cycle(spec["emails"] or [""]).__next__
    SPEC["next_token"] = itertools.cycle(spec["tokens"] or [""]).__next__
    SPEC["seed"] = itertools.count(1).__next__
    low, high = spec["think"]
    for cls in (Browser, Submitter):
        cls.host = spec["base"]
        cls.wait_time = between(low, high)
        cls.network_timeout = cls.connection_timeout = float(spec["timeout"])


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, start_time=None,
            **_kwargs):
    status = getattr(response, "status_code", 0) or 0
    RECORDS.append((name, int(status), start_time or time.time(), float(response_time or 0), int(response_length or 0),
                    "" if exception is None else f"{type(exception).__name__}: {exception}"[:300]))


class Delegate(FastHttpUser):
    abstract = True

    def expect(self, name: str, method: str, path: str, statuses: tuple[int, ...] = (200,), contains: bytes = b"",
               **kwargs):
        """One request, a failure unless its status is one of `statuses` (and its body holds `contains`)."""
        EXPECTED.setdefault(name, set()).update(statuses)
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code not in statuses:
                error = getattr(response, "error", None) if not response.status_code else None
                response.failure(f"no answer: {type(error).__name__}: {error}" if error else
                                 f"HTTP {response.status_code}")
            elif contains and contains not in (response.content or b""):
                response.failure(f"the answer lacks {contains!r}")
            else:
                response.success()
            return response

    def pause(self) -> None:
        gevent.sleep(random.uniform(*SPEC["think"]))


class Browser(Delegate):
    """A delegate browsing the platform on a phone, signed in with a cookie session."""

    def on_start(self):
        self.rng = random.Random(SPEC["seed"]())
        email = SPEC["next_email"]()
        page = self.expect("sign in: the form", "GET", "/login")
        token = csrf_token(page.text or "", required=False)  # none: the post below fails and is counted
        self.expect("sign in: post", "POST", "/login", (302,), allow_redirects=False,
                    data=urlencode({"email": email, "password": SPEC["password"], "csrf_token": token}),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.document()
        for path in STATIC:  # once: the phone keeps them
            self.expect("static file (once)", "GET", path)

    @task(6)
    def inline(self):
        self.expect("page script: an amendment inline", "GET",
                    f"/amendments/{self.rng.choice(SPEC['amendments'])}/redline")

    @task(2)
    def amendment(self):
        self.expect("page: an amendment", "GET", f"/amendments/{self.rng.choice(SPEC['amendments'])}",
                    contains=b"/logout")

    @task(1)
    def amendment_list(self):
        self.expect("page: all amendments", "GET", f"/documents/{SPEC['document']}/amendments", contains=b"/logout")

    @task(1)
    def document(self):
        self.expect("page: the platform", "GET", f"/documents/{SPEC['document']}", contains=b"/logout")


class Submitter(Delegate):
    """A delegate's client proposing amendments through the API."""

    def on_start(self):
        self.rng = random.Random(SPEC["seed"]() + 100_000)
        self.headers = {"Authorization": f"Bearer {SPEC['next_token']()}"}
        self.expect("API: the document", "GET", f"/api/v1/documents/{SPEC['document']}", headers=self.headers)

    @task
    def propose(self):
        clause_id, text = self.rng.choice(SPEC["clauses"])
        body = {"clause_id": clause_id, "kind": "modify", "text": platform_bench.edit(text, self.rng)}
        path = f"/api/v1/documents/{SPEC['document']}/amendments"
        self.expect("API: preview an amendment", "POST", f"{path}/preview", json=body, headers=self.headers)
        self.pause()
        self.expect("API: propose an amendment", "POST", path, (201,), json=body, headers=self.headers)


if os.environ.get("BENCH_LOAD_SPEC"):  # locust's own command line
    with open(os.environ["BENCH_LOAD_SPEC"]) as _spec:
        configure(json.load(_spec))


# ---------------------------------------------------------------- the run and its figures

def figures(records: list[tuple], window: tuple[float, float]) -> dict:
    """Per request name, the requests started in the window: count, statuses, time percentiles, size."""
    start, end = window
    by_name: dict[str, list[tuple]] = defaultdict(list)
    for r in records:
        if start <= r[2] < end:
            by_name[r[0]].append(r)

    def summary(rows: list[tuple], expected: set[int]) -> dict:
        ms = sorted(r[3] for r in rows)
        answered = [r for r in rows if r[1] in expected]  # the size of a full answer
        return {"n": len(rows), "statuses": dict(Counter(r[1] for r in rows)), "expected": sorted(expected),
                "failures": sum(1 for r in rows if r[1] not in expected or r[5]),
                "p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
                "max": ms[-1] if ms else float("nan"), "kb": sum(r[4] for r in answered) / max(1, len(answered)) / 1024}

    requests = {name: summary(rows, EXPECTED.get(name, {200})) for name, rows in by_name.items()}
    every = [r for rows in by_name.values() for r in rows]
    all_ = summary(every, set())
    all_["failures"] = sum(v["failures"] for v in requests.values())
    return {"requests": requests, "all": all_}


def run(spec: dict) -> dict:
    from locust import __version__
    from locust.env import Environment

    configure(spec)
    browsers, submitters = spec["browsers"], spec["submitters"]
    classes = [c for c, n in ((Browser, browsers), (Submitter, submitters)) if n]
    Browser.fixed_count, Submitter.fixed_count = browsers, submitters
    think_max = spec["think"][1]
    env = Environment(user_classes=classes, host=spec["base"], events=events,
                      stop_timeout=3 * spec["timeout"] + 2 * think_max + 30)
    runner = env.create_local_runner()
    total = browsers + submitters
    began = time.time()
    runner.start(total, spawn_rate=max(1.0, total / max(spec["ramp"], 0.1)))
    deadline = time.monotonic() + spec["ramp"] + 60
    while runner.user_count < total and time.monotonic() < deadline:
        gevent.sleep(0.1)
    gevent.sleep(max(0.0, began + spec["ramp"] - time.time()))
    window_start = time.time()
    cpu0 = cpu_snapshot(spec["server_pid"], spec["database"])
    gevent.sleep(spec["seconds"])
    window_end = time.time()
    cpu = cpu_delta(cpu0, cpu_snapshot(spec["server_pid"], spec["database"]))
    spawned = runner.user_count
    runner.stop()  # each user finishes the task it is in (stop_timeout)
    runner.quit()
    stopped = time.time()
    out = figures(RECORDS, (window_start, window_end))
    failures = [r for r in RECORDS if r[1] not in EXPECTED.get(r[0], {200}) or r[5]]
    proposals = [r for r in RECORDS if r[0] == "API: propose an amendment"]
    out.update({
        "locust": __version__, "window": window_end - window_start, "cpu": cpu, "users": total,
        "spawned": spawned, "stop_seconds": stopped - window_end,
        "requests_total": len(RECORDS), "failures_total": len(failures),
        "failure_examples": [f"{r[0]}: HTTP {r[1]} {r[5]}" for r in failures[:10]],
        "failure_kinds": Counter(f"{r[0]}: HTTP {r[1]}{' ' + r[5][:80] if r[5] else ''} "
                                 f"({'arrival' if r[2] < window_start else 'window' if r[2] < window_end else 'end'})"
                                 for r in failures).most_common(6),
        "server_errors_total": sum(1 for r in RECORDS if r[1] >= 500),
        "statuses_total": dict(Counter(r[1] for r in RECORDS)),
        "submitted": {"201": sum(1 for r in proposals if r[1] == 201), "sent": len(proposals),
                      "no_answer": sum(1 for r in proposals if r[1] == 0)},
    })
    return out


def main(argv: list[str]) -> int:
    spec_path, out_path = argv
    with open(spec_path) as fh:
        spec = json.load(fh)
    out = run(spec)
    with open(out_path, "w") as fh:
        json.dump(out, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
