"""gunicorn settings read from the project directory (`gunicorn wsgi:app` picks this file up)."""
import gc


def post_worker_init(worker):
    # The app, its templates and its caches are loaded: move them out of the garbage collector's way, so a
    # full collection scans only what requests create (it would otherwise cost ~60 ms now and then).
    gc.collect()
    gc.freeze()
