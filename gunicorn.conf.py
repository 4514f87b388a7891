"""gunicorn settings for `make serve` (production): `gunicorn -c gunicorn.conf.py wsgi:app`.

Environment (all optional):
  HOST, PORT              where to listen (default 127.0.0.1:8000: behind a reverse proxy)
  MOTIONS_WORKERS         worker processes (default: 2 per core, at least 2)
  MOTIONS_THREADS         threads per worker (default 512)

Worker class gthread: each request runs on a thread of its worker. An open live event stream
(/api/v1/meetings/SLUG/events) holds one thread for up to MOTIONS_EVENT_STREAM_SECONDS (120 s),
then the browser reconnects, so MOTIONS_WORKERS x MOTIONS_THREADS is the number of streams and
requests served at once; the rest wait their turn in the listen queue. Every delegate's phone
keeps a stream open during a vote, so give the workers together more threads than delegates
(the default, 4 workers x 512, serves 2,000). A waiting stream costs little: it holds no database
connection and sleeps on its worker's feed hub (motions/live/hub.py), which reads the feed once
for all of them; threads are started as they are needed. Nothing lives in one worker's memory:
sessions are signed cookies, live events and sign-in counters are in the database, so any
worker answers any request.
"""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("MOTIONS_WORKERS") or max(2, 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("MOTIONS_THREADS") or 512)
worker_connections = threads + 64  # gthread accepts no more connections than this per worker
backlog = 4096  # a hall signing in at once
timeout = 60  # a worker whose main loop is silent this long is restarted (streams run on threads)
graceful_timeout = 35  # on restart, requests get 35 s to finish; open event streams end at once (below)
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("MOTIONS_LOG_LEVEL", "info")
# the X-Forwarded-* headers are trusted from the reverse proxy on this machine only (ProxyFix in
# the app reads them when MOTIONS_PROXY_COUNT is set)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_worker_init(worker):
    """Once the worker has loaded the app, what it loaded (the app, the models and their mappers,
    SQLAlchemy's and Jinja's machinery: over 100,000 objects that live as long as the process) is put
    out of the cyclic garbage collector's sight (gc.freeze). Otherwise every full collection walks
    all of them again: about 50 ms, every second or so under load, a quarter of the CPU of the
    3,000-amendment list. What is garbage already is collected first; an object frozen here is
    still freed when its last reference goes, only never as part of a cycle.
    """
    import gc

    from sqlalchemy.orm import configure_mappers

    configure_mappers()  # what the first query would do: its objects live as long as the process too
    gc.collect()
    gc.freeze()
    if worker is not None:
        end_streams_on_graceful_stop(worker)


def end_streams_on_graceful_stop(worker):
    """On a graceful stop (SIGTERM from the arbiter: a restart, `kill -HUP`, a deploy) the worker
    takes no new connection and waits up to graceful_timeout for its open ones. An event stream
    would hold its connection that long and then be cut. Instead the worker's feed hub is stopped
    for good as the signal arrives: every waiting stream ends cleanly at once, and its browser
    reconnects (from its last event) to a worker that is running. The hub is stopped on a thread
    of its own, not in the signal handler, which must not wait for the hub's locks."""
    import signal
    import threading

    app = getattr(worker, "wsgi", None)
    if not hasattr(app, "app_context"):  # not the Flask app itself (wrapped in other middleware)
        return
    previous = signal.getsignal(signal.SIGTERM)

    def stop_streams():
        from motions.extensions import db
        from motions.live.hub import stop_hub

        with app.app_context():
            stop_hub(db.engine, for_good=True)

    def graceful_stop(signum, frame):
        if callable(previous):
            previous(signum, frame)  # gunicorn's own: the worker stops accepting and winds down
        threading.Thread(target=stop_streams, name="motions-end-streams", daemon=True).start()

    signal.signal(signal.SIGTERM, graceful_stop)
