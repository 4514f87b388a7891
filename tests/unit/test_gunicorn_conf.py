"""gunicorn.conf.py: once a worker has loaded the app, it puts what it loaded out of the cyclic
garbage collector's sight (gc.freeze), so that full collections do not walk it again and again;
what was garbage already is collected first, not frozen."""
from __future__ import annotations

import gc
import runpy
import weakref
from pathlib import Path

from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


class _Node:
    pass


def test_a_worker_collects_then_freezes_what_it_loaded():
    hooks = runpy.run_path(str(CONF))
    Config().set("post_worker_init", hooks["post_worker_init"])  # gunicorn takes it as that hook
    gc.unfreeze()
    try:
        node = _Node()
        node.self = node  # a cycle nobody refers to any more
        gone = weakref.ref(node)
        del node
        hooks["post_worker_init"](None)
        assert gone() is None
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
