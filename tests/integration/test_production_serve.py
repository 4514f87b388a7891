"""`make serve`'s set-up: gunicorn with gunicorn.conf.py, several worker processes behind a reverse
proxy. Any worker answers any request: a session made on one is good on the others, failed
sign-ins are counted across all of them, and the client's address and scheme come from the
proxy's X-Forwarded-* headers (MOTIONS_PROXY_COUNT)."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.vote_storm import free_port, stop
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


@pytest.fixture
def server(request, app, factory, database_uri, tmp_path):
    """gunicorn with gunicorn.conf.py on a free port; a test's `serve_env` marker adds to its environment."""
    factory.meeting("served")
    factory.person("served", "delegate", email="ana@example.org")
    factory.person("served", "delegate", email="ben@example.org")
    port = free_port()
    marker = request.node.get_closest_marker("serve_env")
    env = {**os.environ, "DATABASE_URL": database_uri, "SECRET_KEY": "served-secret", "PORT": str(port),
           "HOST": "127.0.0.1", "MOTIONS_WORKERS": str(WORKERS), "MOTIONS_THREADS": "2", "MOTIONS_PROXY_COUNT": "1",
           "MOTIONS_SIGN_IN_LIMIT_ACCOUNT": "3 per minute", "MOTIONS_SIGN_IN_LIMIT_ADDRESS": "4 per minute",
           "MOTIONS_LOG_LEVEL": "warning", **(marker.kwargs if marker else {})}
    env.pop("MOTIONS_SECURE_COOKIES", None)  # production: secure cookies, https at the proxy
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_children(process.pid)) < WORKERS or _status(port, "GET", "/login") != 200:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield port, process
    finally:
        stop(process)


def _request(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    """One request on a new connection (so that successive requests meet different workers)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers={
            "X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.1",
            **({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    except OSError:
        return 0, {}, b""
    finally:
        connection.close()


def _status(port: int, method: str, path: str) -> int:
    return _request(port, method, path)[0]


def test_several_workers_serve_and_any_worker_answers_any_request(server):
    port, process = server
    assert len(_children(process.pid)) == WORKERS
    status, _, body = _request(port, "POST", "/api/v1/auth/token", {"email": "ana@example.org", "password": PASSWORD})
    assert status == 200
    token = json.loads(body)["token"]
    for _ in range(3 * WORKERS):  # new connections: the token works whichever worker answers
        status, _, body = _request(port, "GET", "/api/v1/meetings/served", headers={"Authorization": f"Bearer {token}"})
        assert status == 200 and json.loads(body)["slug"] == "served"


def test_the_sign_in_page_session_is_good_on_every_worker_and_the_cookie_is_secure(server):
    port, _ = server
    status, headers, body = _request(port, "GET", "/login")
    cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body.decode()).group(1)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/login", body=f"email=ana%40example.org&password={PASSWORD.replace(' ', '+')}"
                       f"&csrf_token={token}", headers={
                           "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                           # over https Flask-WTF also checks that the form came from this site
                           "Referer": f"https://127.0.0.1:{port}/login",
                           "X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.1"})
    response = connection.getresponse()
    response.read()
    assert response.status == 302
    set_cookie = response.getheader("Set-Cookie")
    connection.close()
    # behind the proxy the app knows the scheme is https: the session cookie is Secure and HttpOnly
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie
    signed_in = set_cookie.split(";")[0]
    for _ in range(3 * WORKERS):
        status, _, page = _request(port, "GET", "/", headers={"Cookie": signed_in})
        assert status == 200 and b"Sign out" in page


def test_failed_sign_ins_are_counted_across_workers(server):
    port, _ = server
    wrong = {"email": "ben@example.org", "password": "not it"}
    answers = [_request(port, "POST", "/api/v1/auth/token", wrong)[0] for _ in range(3)]
    assert answers == [401, 401, 401]
    status, headers, body = _request(port, "POST", "/api/v1/auth/token",
                                     {"email": "ben@example.org", "password": PASSWORD})
    assert status == 429
    assert json.loads(body)["error"]["code"] == "rate_limited" and int(headers["Retry-After"]) >= 1


def test_the_client_address_comes_from_the_proxy(server):
    port, _ = server
    guesser = {"X-Forwarded-For": "203.0.113.9"}
    for i in range(4):  # four accounts, one failure each: the address's limit is reached
        assert _request(port, "POST", "/api/v1/auth/token", {"email": f"x{i}@example.org", "password": "p"},
                        guesser)[0] == 401
    assert _request(port, "POST", "/api/v1/auth/token", {"email": "ana@example.org", "password": PASSWORD},
                    guesser)[0] == 429
    # another delegate behind another address is not held up
    assert _request(port, "POST", "/api/v1/auth/token", {"email": "ana@example.org", "password": PASSWORD},
                    {"X-Forwarded-For": "203.0.113.10"})[0] == 200


@pytest.mark.serve_env(GUNICORN_CMD_ARGS="--graceful-timeout 90", MOTIONS_EVENT_STREAM_SECONDS="300")
def test_a_graceful_restart_ends_open_event_streams_at_once_and_cleanly(server):
    """`kill -HUP` (a restart, a deploy): the old workers stop gracefully. Their open event streams
    are ended by the worker at once, each with its proper end, so the browser reconnects to a new
    worker; not held until the graceful timeout (here 90 s) and then cut."""
    port, process = server
    status, _, body = _request(port, "POST", "/api/v1/auth/token", {"email": "ana@example.org", "password": PASSWORD})
    assert status == 200, body
    token = json.loads(body)["token"]
    old_workers = _children(process.pid)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", "/api/v1/meetings/served/events", headers={"Authorization": f"Bearer {token}"})
    stream = connection.getresponse()
    assert stream.status == 200 and stream.getheader("Content-Type").startswith("text/event-stream")
    assert stream.readline() == b"retry: 1000\n"  # the stream is open and waiting for events

    ended: dict = {}

    def read_to_the_end():
        try:
            ended["rest"] = stream.read()  # raises IncompleteRead if the stream is cut, not ended
        except Exception as error:  # noqa: BLE001  (what went wrong is the test's finding)
            ended["error"] = error
        ended["at"] = time.monotonic()

    reader = threading.Thread(target=read_to_the_end, daemon=True)
    reader.start()
    time.sleep(0.5)
    hup = time.monotonic()
    process.send_signal(signal.SIGHUP)
    reader.join(60)
    still_open = reader.is_alive()
    connection.close()
    assert not still_open, "the stream was still open 60 s after the restart"
    assert "error" not in ended, f"the stream was cut, not ended: {ended['error']!r}"
    assert ended["at"] - hup < 30, f"the stream ended {ended['at'] - hup:.1f} s after the restart, at the graceful timeout"

    # the new workers serve, and a stream opened now is theirs
    deadline = time.monotonic() + 60
    while _children(process.pid) & old_workers or len(_children(process.pid)) < WORKERS:
        assert time.monotonic() < deadline, "the old workers did not go"
        time.sleep(0.2)
    again = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        again.request("GET", "/api/v1/meetings/served/events", headers={"Authorization": f"Bearer {token}"})
        fresh = again.getresponse()
        assert fresh.status == 200 and fresh.readline() == b"retry: 1000\n"
    finally:
        again.close()
