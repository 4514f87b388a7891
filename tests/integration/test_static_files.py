"""The app's own files under /static/ are linked by their content's fingerprint and kept by the
browser: a phone in the hall loads style.css and the scripts once, not a round trip on every page."""
from __future__ import annotations

import re
from pathlib import Path

from motions import ROOT
from motions.static_files import fingerprint

STATIC = ROOT / "static"
LINK = re.compile(r'(?:href|src)="(/static/([^"?]+)(?:\?v=([^"]*))?)"')


def _linked(html: str) -> list[tuple[str, str, str | None]]:
    return LINK.findall(html)


def test_pages_link_each_static_file_by_its_current_fingerprint(client, auth, factory):
    factory.meeting("static-meeting")
    factory.person("static-meeting", "delegate", email="dele@example.org")
    pages = {"sign-in page": client.get("/login").get_data(as_text=True)}
    assert auth.login("dele@example.org").status_code == 302
    pages["front page"] = client.get("/").get_data(as_text=True)
    seen = set()
    for what, html in pages.items():
        links = _linked(html)
        assert links, f"the {what} links no static file"
        for url, filename, version in links:
            assert version, f"the {what} links {url} without its fingerprint"
            assert version == fingerprint(STATIC, filename), f"{url} is not {filename}'s current fingerprint"
            seen.add(filename)
    assert "style.css" in seen


def test_a_fingerprinted_file_is_kept_for_a_year_and_is_the_file(client):
    url = next(u for u, name, _ in _linked(client.get("/login").get_data(as_text=True)) if name == "style.css")
    response = client.get(url)
    assert response.status_code == 200
    assert response.get_data() == (STATIC / "style.css").read_bytes()
    cache = response.cache_control
    assert cache.max_age == 365 * 24 * 3600 and cache.immutable and cache.public and not cache.no_cache
    assert response.headers["Content-Security-Policy"]  # the security headers stay


def test_without_the_current_fingerprint_the_browser_must_ask_again(client):
    for url in ("/static/style.css", "/static/style.css?v=0123456789ab", "/static/live.js?v="):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.cache_control.no_cache and not response.cache_control.max_age, url
        assert not response.cache_control.immutable, url
        etag = response.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url


def test_no_such_file_is_404_and_not_kept(client):
    response = client.get("/static/no-such-file.css?v=0123456789ab")
    assert response.status_code == 404
    assert not response.cache_control.max_age
    assert fingerprint(STATIC, "no-such-file.css") is None


def test_the_fingerprint_follows_the_bytes(tmp_path: Path):
    f = tmp_path / "style.css"
    f.write_text("body { color: black; }")
    first = fingerprint(tmp_path, "style.css")
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert fingerprint(tmp_path, "style.css") == first  # the same bytes, the same address
    f.write_text("body { color: navy;  }")  # a new release of the file
    second = fingerprint(tmp_path, "style.css")
    assert second != first and re.fullmatch(r"[0-9a-f]{12}", second)
    assert fingerprint(tmp_path, "missing.css") is None
