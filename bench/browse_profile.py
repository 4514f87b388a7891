"""The server CPU of each request of the load suite's browse + submit mix, without a server.

The browse scenario's data (bench/load.py `seed`: a 200-clause platform with 3,000 amendments) is
built once in a SQLite file and copied for each run; the app answers through Flask's test client,
signed in as a delegate with a cookie session (the browsers) or a bearer token (the API users), as
bench/load_users.py sends them. Per request type: the CPU time of the process (time.process_time)
per request, median and mean over BENCH_PROFILE_REQUESTS requests (after a few to warm the
process's memos), and the mix's mean weighted by how often the load suite sends each type.
The app is frozen as a gunicorn worker freezes it (gunicorn.conf.py's post_worker_init; --no-freeze
leaves that out). No WSGI server: gunicorn adds its own share (the load suite's trivial request,
GET /api/v1/meetings/{slug}, costs 3.4 ms of server CPU, 1.7 ms here).

  python -m bench.browse_profile                 the table
  python -m bench.browse_profile --profile NAME  cProfile of one request type (NAME: inline, amendment,
                                                 list, platform, preview, propose, trivial), top 40
  python -m bench.browse_profile --profile NAME --pyinstrument   the same as pyinstrument's call tree
  python -m bench.browse_profile --served        the app under gunicorn as the load suite serves it (gthread,
                                                 1 worker, 8 threads), sent the mix in its proportions by
                                                 BENCH_PROFILE_CLIENTS (16) threads without pause (or with
                                                 BENCH_THINK "3-10" seconds between requests) for
                                                 BENCH_PROFILE_SECONDS (30): requests/s and the server's CPU
                                                 (master and worker) per request
Settings (environment): BENCH_PROFILE_DB (the seeded file, default /tmp/motions-browse-profile.sqlite3;
built when missing), BENCH_PROFILE_REQUESTS (200), BENCH_CLAUSES (200), BENCH_AMENDMENTS (3000).
BENCH_DATABASE_URL=postgresql://.../NAME (NAME containing "bench"): PostgreSQL instead, seeded afresh
(dropped and created) on each run, or with BENCH_PROFILE_REUSE=1 used as the last run left it (what it
needs kept in BENCH_PROFILE_DB's .json, suffixed -postgres); its own processes' CPU is not counted.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import runpy
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# requests per second of each type in the load suite's measured window (500 browsers, 100 submitters)
WEIGHTS = {"inline": 23.5, "amendment": 7.8, "platform": 4.4, "list": 4.0, "preview": 4.3, "propose": 4.1}
NAMES = {"inline": "page script: an amendment inline", "amendment": "page: an amendment",
         "platform": "page: the platform", "list": "page: all amendments", "preview": "API: preview an amendment",
         "propose": "API: propose an amendment", "trivial": "GET /api/v1/meetings/{slug} (the ceiling's)"}


def seeded_postgres(uri: str, clauses: int, amendments: int, meta: Path) -> dict:
    import json

    from bench import load, vote_storm

    if not vote_storm.bench_database(uri):
        raise SystemExit('BENCH_DATABASE_URL must name a PostgreSQL database whose name contains "bench"')
    if os.environ.get("BENCH_PROFILE_REUSE") and meta.exists():
        return json.loads(meta.read_text())
    vote_storm.fresh_database(uri)
    started = time.monotonic()
    data = load.seed(uri, delegates=2000, clauses=clauses, amendments=amendments, browsers=20)
    print(f"seeded {uri} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    meta.write_text(json.dumps(data))
    return data


def seeded(path: Path, clauses: int, amendments: int) -> dict:
    """The browse scenario's data in `path` (built when missing), and what the requests need."""
    import json

    from bench import load

    meta = path.with_suffix(".json")
    if not path.exists() or not meta.exists():
        tmp = path.with_suffix(".building")
        tmp.unlink(missing_ok=True)
        started = time.monotonic()
        data = load.seed(f"sqlite:///{tmp}", delegates=2000, clauses=clauses, amendments=amendments, browsers=20)
        print(f"seeded {tmp} in {time.monotonic() - started:.0f} s", file=sys.stderr)
        tmp.replace(path)  # load.seed closed its connections: nothing is left in a -wal file
        meta.write_text(json.dumps(data))
    return json.loads(meta.read_text())


def served(uri: str, data: dict, tmp: str) -> None:
    """--served: gunicorn on `uri`, the mix sent by threads with their own connections and sessions."""
    import http.client
    import json
    import threading
    from urllib.parse import urlencode

    from bench import amendments as platform_bench
    from bench import load, vote_storm
    from bench.common import csrf_token

    clients = int(os.environ.get("BENCH_PROFILE_CLIENTS") or 16)
    seconds = float(os.environ.get("BENCH_PROFILE_SECONDS") or 30)
    think = tuple(float(x) for x in os.environ["BENCH_THINK"].split("-")) if os.environ.get("BENCH_THINK") else None
    server, base, _log = vote_storm.serve(uri, "--workers 1 --threads 8", tmp)
    document, names, weights = data["document"], list(WEIGHTS), list(WEIGHTS.values())
    counts = dict.fromkeys(names, 0)
    failures: list[str] = []
    stop, lock = threading.Event(), threading.Lock()

    def client(i: int) -> None:
        rng = random.Random(i)
        connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=120)
        cookie = [""]

        def send(method, path, body=None, headers=None):
            headers = {**(headers or {}), **({"Cookie": cookie[0]} if cookie[0] else {})}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.getheader("Set-Cookie"):
                cookie[0] = response.getheader("Set-Cookie").split(";")[0]
            return response.status

        connection.request("GET", "/login")
        answer = connection.getresponse()
        cookie[0] = answer.getheader("Set-Cookie").split(";")[0]
        token = csrf_token(answer.read().decode())
        email = data["emails"][i % len(data["emails"])]
        send("POST", "/login", urlencode({"email": email, "password": load.PASSWORD, "csrf_token": token}),
             {"Content-Type": "application/x-www-form-urlencoded"})
        api = {"Authorization": f"Bearer {data['tokens'][-1 - i]}", "Content-Type": "application/json"}
        while not stop.is_set():
            name = rng.choices(names, weights)[0]
            if name in ("preview", "propose"):
                clause_id, text = rng.choice(data["clauses"])
                body = json.dumps({"clause_id": clause_id, "kind": "modify", "text": platform_bench.edit(text, rng)})
                path = f"/api/v1/documents/{document}/amendments" + ("/preview" if name == "preview" else "")
                status = send("POST", path, body, api)
            else:
                amendment = rng.choice(data["amendments"])
                status = send("GET", {"inline": f"/amendments/{amendment}/redline", "amendment": f"/amendments/{amendment}",
                                      "platform": f"/documents/{document}",
                                      "list": f"/documents/{document}/amendments"}[name])
            with lock:
                counts[name] += 1
                if status not in (200, 201):
                    failures.append(f"{name}: {status}")
            if think:
                time.sleep(rng.uniform(*think))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    try:
        for thread in threads:
            thread.start()
            time.sleep(0.1 if think else 0)
        time.sleep(5 + (think[1] if think else 0))  # every client signed in and sending
        with lock:
            before = sum(counts.values())
        cpu0, started = vote_storm.cpu_snapshot(server.pid), time.monotonic()
        time.sleep(seconds)
        with lock:
            n = sum(counts.values()) - before
        cpu, elapsed = vote_storm.cpu_delta(cpu0, vote_storm.cpu_snapshot(server.pid)), time.monotonic() - started
        stop.set()
    finally:
        vote_storm.stop(server)
    print(f"served by gunicorn (gthread, 1 worker, 8 threads): {clients} clients, "
          f"{'think ' + os.environ['BENCH_THINK'] + ' s' if think else 'no think time'}, {elapsed:.0f} s measured\n")
    print(f"| requests/s | server CPU, share of one core | server CPU per request | failures |\n|---:|---:|---:|---:|\n"
          f"| {n / elapsed:.1f} | {cpu['gunicorn'] / elapsed:.0%} | {cpu['gunicorn'] * 1000 / max(n, 1):.1f} ms | "
          f"{len(failures)} |")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(NAMES), help="cProfile one request type")
    parser.add_argument("--pyinstrument", action="store_true", help="with --profile: pyinstrument's tree instead "
                        "(pip install pyinstrument)")
    parser.add_argument("--only", help="comma-separated request types to time")
    parser.add_argument("--served", action="store_true", help="under gunicorn, sent the mix by several clients")
    parser.add_argument("--no-freeze", action="store_true", help="leave out gunicorn.conf.py's post_worker_init "
                        "(gc.freeze once the app is loaded), which the served app gets")
    args = parser.parse_args(argv)
    n = int(os.environ.get("BENCH_PROFILE_REQUESTS") or 200)
    size = int(os.environ.get("BENCH_CLAUSES") or 200), int(os.environ.get("BENCH_AMENDMENTS") or 3000)
    postgres = os.environ.get("BENCH_DATABASE_URL") or ""
    source = Path(os.environ.get("BENCH_PROFILE_DB") or "/tmp/motions-browse-profile.sqlite3")
    data = (seeded_postgres(postgres, *size, source.with_name(source.stem + "-postgres.json")) if postgres
            else seeded(source, *size))

    from bench import amendments as platform_bench
    from bench import load, vote_storm
    from bench.common import ROOT, sign_in

    with tempfile.TemporaryDirectory(prefix="browse-profile-") as tmp:
        uri = postgres
        if not postgres:
            db = Path(tmp) / "run.sqlite3"
            shutil.copyfile(source, db)  # proposals change the data: each run starts from the seed
            uri = f"sqlite:///{db}"
        os.environ["MOTIONS_SECURE_COOKIES"] = "0"
        if args.served:
            served(uri, data, tmp)
            return 0
        from motions import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": vote_storm.SECRET})
        if not args.no_freeze:  # what a gunicorn worker does once it has loaded the app
            runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_worker_init"](None)
        browser = app.test_client()
        sign_in(browser, data["emails"][0], load.PASSWORD)
        api = app.test_client()
        bearer = {"Authorization": f"Bearer {data['tokens'][-1]}"}
        rng = random.Random(7)
        document = data["document"]
        proposals = f"/api/v1/documents/{document}/amendments"

        def body():
            clause_id, text = rng.choice(data["clauses"])
            return {"clause_id": clause_id, "kind": "modify", "text": platform_bench.edit(text, rng)}

        requests = {
            "inline": lambda: browser.get(f"/amendments/{rng.choice(data['amendments'])}/redline"),
            "amendment": lambda: browser.get(f"/amendments/{rng.choice(data['amendments'])}"),
            "platform": lambda: browser.get(f"/documents/{document}"),
            "list": lambda: browser.get(f"/documents/{document}/amendments"),
            "preview": lambda: api.post(f"{proposals}/preview", json=body(), headers=bearer),
            "propose": lambda: api.post(proposals, json=body(), headers=bearer),
            "trivial": lambda: api.get(f"/api/v1/meetings/{load.SLUG}", headers=bearer),
        }
        expected = {"propose": 201}
        if args.profile:
            import cProfile
            import pstats

            for _ in range(5):
                requests[args.profile]()
            if args.pyinstrument:
                from pyinstrument import Profiler

                sampler = Profiler(interval=0.0002)
                with sampler:
                    for _ in range(max(10, n // 4)):
                        requests[args.profile]()
                print(sampler.output_text(unicode=True, show_all=False))
                return 0
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(max(10, n // 4)):
                requests[args.profile]()
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(40)
            stats.sort_stats("tottime").print_stats(30)
            areas: dict[str, float] = {}
            for (filename, _line, _function), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
                found = re.search(r"site-packages/([A-Za-z0-9_]+)", filename)
                area = (found.group(1) if found else "templates" if "/templates/" in filename else
                        "motions" if "/motions/" in filename else "python" if "python3" in filename else filename)
                areas[area] = areas.get(area, 0.0) + tottime
            print("own time by package (s):")
            for area, seconds in sorted(areas.items(), key=lambda kv: -kv[1])[:15]:
                print(f"  {area:<30} {seconds:.3f}")
            return 0
        chosen = args.only.split(",") if args.only else list(requests)
        results = {}
        for name in chosen:
            call = requests[name]
            for _ in range(5):  # warm: the process's memos, the database's pages
                response = call()
                assert response.status_code == expected.get(name, 200), (name, response.status_code)
            times, size = [], 0
            for _ in range(n if name != "propose" else max(20, n // 4)):
                start = time.process_time()
                response = call()
                times.append((time.process_time() - start) * 1000)
                size = len(response.data)
                assert response.status_code == expected.get(name, 200), (name, response.status_code)
            results[name] = (statistics.median(times), statistics.fmean(times), size)
        print(f"CPU per request (time.process_time; Flask test client; {n} requests each; "
              f"{'PostgreSQL, its processes not counted' if postgres else 'SQLite'}"
              f"{'; no gc.freeze' if args.no_freeze else ''})\n")
        print("| request | per s in the load suite | median ms | mean ms | KB |")
        print("|---|---:|---:|---:|---:|")
        for name, (median, mean, size) in results.items():
            rate = WEIGHTS.get(name)
            print(f"| {NAMES[name]} | {rate if rate else '–'} | {median:.1f} | {mean:.1f} | {size / 1024:.0f} |")
        if all(name in results for name in WEIGHTS):
            mix = sum(results[k][1] * w for k, w in WEIGHTS.items()) / sum(WEIGHTS.values())
            print(f"| **the mix** (weighted by the rates) | {sum(WEIGHTS.values()):.1f} | | **{mix:.1f}** | |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
