"""gunicorn settings read from the project directory (`gunicorn wsgi:app` picks this file up).

The meeting day's pages keep a Server-Sent Events stream open per tablet, screen and console (liaison/blueprints/
sitting.py). A sync worker would be blocked by each open stream; the threaded worker (gthread) gives every
connection a thread, and a waiting stream holds no database connection (it sleeps on the process's one LISTEN
connection, liaison/fanout.py). 2 workers × 128 threads hold 256 connections at once on a 2-core host; raise
WEB_THREADS (or WEB_WORKERS) for larger rooms. Each command-line option (-w, -k, --threads) still wins.
Threads are for open connections, not for running Python side by side (one interpreter lock per process): the app
runs WEB_ACTIVE_REQUESTS (3) requests of a process at once and queues the others (liaison/admission.py).
"""
import gc
import os
import re
import sys

worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")
workers = int(os.environ.get("WEB_WORKERS", "2"))
# gunicorn turns a sync worker with threads > 1 into gthread: a run that asks for sync (bench/run.py) keeps it.
if not re.search(r"(?:-k|--worker-class)[= ]sync\b", " ".join(sys.argv)):
    threads = int(os.environ.get("WEB_THREADS", "128"))
# A stream ends itself after LIVE_STREAM_SECONDS (the browser reconnects with Last-Event-ID); keep-alive for the rest.
keepalive = 5


def post_worker_init(worker):
    # The app, its templates and its caches are loaded: move them out of the garbage collector's way, so a
    # full collection scans only what requests create (it would otherwise cost ~60 ms now and then).
    gc.collect()
    gc.freeze()
