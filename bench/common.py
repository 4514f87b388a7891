"""Shared by the benchmarks: timing, the table rows, and signing in as a browser does."""
from __future__ import annotations

import re
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seeds" / "004_a8fe0755eb1f9db2.txt"


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def row(name: str, samples: list[float], note: str = "") -> tuple:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return (name, len(ms), statistics.median(ms), p95, note)


# a form's CSRF token, whichever order the input's attributes come in
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str, *, required: bool = True) -> str:
    """The CSRF token of the first form in a page, as a browser would send it; a page without one
    is an error, or (required=False) gives "" so that the post is refused and counted as such."""
    match = CSRF.search(html)
    if not match and required:
        raise RuntimeError("the page has no csrf_token")
    return (match.group(1) or match.group(2)) if match else ""


def sign_in(client, email: str, password: str) -> None:
    """Sign a Flask test client in through the sign-in form; an error unless it is let in (302)."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if answer.status_code != 302:
        raise RuntimeError(f"signing in as {email} answered {answer.status_code}")
