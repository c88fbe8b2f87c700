"""``serve``: run the whole service (REST API and Gradio UI) with uvicorn, in one process or in N workers.

With N workers (``serve(workers=N)``) uvicorn's supervisor binds the port and starts N processes, each calling
``worker_app``: each loads its own models; the store is the state they share. What must happen once a start (the
catalog written into the store and embedded, the demo shop page's key, the start-up messages) happens here in the
parent, before the workers start; the parent hands them what they need in the environment (``WORKER_ENV``).
"""

from __future__ import annotations

import gc
import json
import logging
import os
from pathlib import Path

from fastapi import FastAPI
from threadpoolctl import threadpool_limits

from .api.main import UI_PATH, create_app, demo_shop_key
from .engines import Engines

log = logging.getLogger(__name__)
# The loggers of ui/observe.py and ui/app_rules.py: one line per request and per refusal in the app.
REQUEST_LOGGERS = "atelier"
LINE = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"  # the process: which worker answered
WORKER_ENV = "ATELIER_SERVE_WORKER"  # JSON from the parent to its workers: catalog, db, demo_shop, shop_key


def log_requests() -> None:
    """Every request's line (``atelier.access``) and the app's refusals (``atelier.app``) to stderr at INFO, with a
    time and a level, whatever the command line set for everything else."""
    logger = logging.getLogger(REQUEST_LOGGERS)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LINE))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the command line's own handler would print each line a second time


def serve(host: str = "127.0.0.1", port: int = 7860, catalog: str | Path | None = None,
          db: str | Path | None = None, demo_shop: bool = False, workers: int = 1) -> None:
    """Serve ``catalog`` (default: the demo catalog) with the store at ``db`` (default ``recsys.default_db()``)
    at http://host:port/app until interrupted; ``demo_shop`` adds the pretend shop page at /shop. ``workers``:
    processes answering on the port, each with its own models (about 2 GB of memory each)."""
    import uvicorn

    if not 0 <= port <= 65535:
        raise ValueError(f"port must be from 0 to 65535, got {port}")
    most = max_workers()
    if not isinstance(workers, int) or not 1 <= workers <= most:
        raise ValueError(f"workers must be an integer from 1 to {most} on this machine (each loads its own models, "
                         f"about 2 GB), got {workers!r}")
    # Load before the server starts: a bad catalog or missing weights then ends as one clear error for
    # the CLI, instead of a traceback from uvicorn's lifespan handler. This also writes the catalog into the
    # store and embeds it, once, before any worker reads it.
    one_blas_thread()
    engines = Engines.load(catalog, db, draws=workers == 1)  # with N workers each draws, not this parent
    shop_key = demo_shop_key(engines) if demo_shop else None  # one key for every worker, the last start's revoked
    announce(engines, f"http://{host}:{port}", demo_shop, workers)
    log_requests()
    # uvicorn's access log is off: ui.api.middleware.RequestLog writes each request's line, with its request id and
    # the route template instead of the raw path (which may hold a user id, or a newline decoded from %0A).
    if workers == 1:
        app = create_app(engines, demo_shop=demo_shop, shop_key=shop_key)
        settle()
        try:
            uvicorn.run(app, host=host, port=port, access_log=False)
        finally:
            engines.close()
        return
    if engines.demo:
        engines.trends_store()  # the demo's trend sample, written once here rather than by racing workers
    engines.close()
    del engines  # the workers load their own; this process only supervises them
    os.environ[WORKER_ENV] = json.dumps({"catalog": str(catalog) if catalog else None, "db": str(db) if db else None,
                                         "demo_shop": demo_shop, "shop_key": shop_key})
    uvicorn.run(f"{__name__}:worker_app", factory=True, host=host, port=port, workers=workers, access_log=False)


def max_workers() -> int:
    """Two workers a core: more only queue for the same cores while each holds its own copy of the models (a typo
    like --workers 1000 would otherwise start a thousand model loads and take the machine down)."""
    return 2 * (os.cpu_count() or 1)


def announce(engines: Engines, url: str, demo_shop: bool, workers: int) -> None:
    """The start-up messages, once a start (from the parent, not from each worker)."""
    log.warning("Atelier: serving %d products at %s%s (REST at /api/v1, contract at /docs%s) with %d %s",
                len(engines.products), url, UI_PATH, ", demo shop page at /shop" if demo_shop else "",
                workers, "worker" if workers == 1 else "workers")
    if not any(key.scope == "admin" and not key.revoked for key in engines.keys.list()):
        log.warning("Atelier: no admin API key yet; create one with `atelier keys create --name NAME --scope admin`")
    if workers > 1:  # Gradio keeps each browser session's queue in the memory of the process that took its first call
        log.warning("Atelier: with %d workers a browser's calls to the app at %s may reach a worker that does not "
                    "know its session and fail; the REST API and the widget are unaffected (serve the app with 1 "
                    "worker)", workers, UI_PATH)


def worker_app() -> FastAPI:
    """One worker's app (uvicorn calls this in each worker process of ``serve(workers=N)``): its own models over
    the store its parent prepared, and the parent's demo shop key."""
    given = json.loads(os.environ[WORKER_ENV])
    log_requests()
    one_blas_thread()
    engines = Engines.load(given["catalog"], given["db"], ingest=False)
    app = create_app(engines, demo_shop=given["demo_shop"], shop_key=given["shop_key"])
    settle()
    return app


def one_blas_thread() -> None:
    """The serving process's matrix products run on the calling request's thread: they are small (a request's vector
    against the catalog), and OpenBLAS's pool of a thread a core, which spins between calls, doubled the CPU a
    recommendation with words costs (22.5 ms against 11.6 ms, in the same wall time), CPU the other requests of a
    burst were waiting for. The drawing process, whose products are big, keeps its pool."""
    threadpool_limits(1, user_api="blas")


def settle() -> None:
    """Everything loaded by now (models, catalog, the Gradio app: some 550,000 objects) lives as long as the server:
    moved out of the garbage collector's sight. A full collection walked them all in about 230 ms, with every request
    in flight stopped meanwhile: under a burst of 50 recommendations it stalled them all at once (p50 and p95 both
    ~0.8 s in the first burst of a fresh server). Frozen, a collection walks the requests' own objects. (No full
    collection first: at this point it found nothing to free, and it would add its 230 ms to the cold start.)"""
    gc.freeze()
