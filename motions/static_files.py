"""The app's own files under /static/, named by their content so that browsers keep them.

Every link the pages make to a static file carries the first hex digits of a hash of the file's
bytes (``/static/style.css?v=1a2b3c4d5e6f``). Asked for under its current fingerprint, a file is
sent as cacheable for a year and immutable: a phone loads style.css and live.js once, not a
revalidation round trip on every page it opens. A new release changes the bytes, so the pages link
a new address and no browser keeps an old file. A request without the fingerprint, or with an old
one, gets the usual answer that the browser must revalidate.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, request

ONE_YEAR = 365 * 24 * 3600

# (path, mtime_ns, size) -> fingerprint: derived from the files alone, so each process may keep its own.
_known: dict[tuple[str, int, int], str] = {}


def fingerprint(folder: str | os.PathLike, filename: str) -> str | None:
    """The fingerprint of folder/filename (12 hex digits of its SHA-256), None if there is no such file."""
    path = Path(folder, filename)
    try:
        state = path.stat()
    except (OSError, ValueError):
        return None
    key = (str(path), state.st_mtime_ns, state.st_size)
    if key not in _known:
        try:
            _known[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        except OSError:
            return None
    return _known[key]


def init_app(app: Flask) -> None:
    @app.url_defaults
    def add_fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and values.get("filename"):
            version = fingerprint(app.static_folder, values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def keep_fingerprinted(response):
        if (request.endpoint == "static" and response.status_code in (200, 304)
                and request.args.get("v")
                and request.args["v"] == fingerprint(app.static_folder, (request.view_args or {}).get("filename", ""))):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
        return response
