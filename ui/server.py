"""``serve``: run the whole service (REST API and Gradio UI) with uvicorn, in one process or in N workers.

With N workers (``serve(workers=N)``) uvicorn's supervisor binds the port and starts N processes, each calling
``worker_app``: each loads its own models; the store is the state they share. What must happen once a start (the
catalog written into the store, the demo shop page's key, the start-up messages) happens here in the supervisor,
which loads no model, before the workers start; it hands them what they need in the environment (``WORKER_ENV``).
The workers load one at a time (``WORKER_LOAD_LOCK``), so the first serves as soon as one worker alone would.

This module imports little: the supervisor of N workers never needs the web stack or the models.
"""

from __future__ import annotations

import gc
import importlib
import json
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock
from threadpoolctl import threadpool_limits

from . import DEMO_CATALOG, UI_PATH
from .drawing import DRAWING_NICE

if TYPE_CHECKING:
    from fastapi import FastAPI

    from .keys import KeyStore

log = logging.getLogger(__name__)
# The loggers of ui/observe.py and ui/app_rules.py: one line per request and per refusal in the app.
REQUEST_LOGGERS = "atelier"
LINE = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"  # the process: which worker answered
WORKER_ENV = "ATELIER_SERVE_WORKER"  # JSON from the supervisor to its workers: catalog, db, files, demo_shop, shop_key
WORKER_LOAD_LOCK = "worker-load.lock"  # in the store's files folder: one worker loads its models at a time


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
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be from 0 to 65535, got {port}")
    most = max_workers()
    if not isinstance(workers, int) or not 1 <= workers <= most:
        raise ValueError(f"workers must be an integer from 1 to {most} on this machine (each loads its own models, "
                         f"about 2 GB), got {workers!r}")
    if workers == 1:
        serve_alone(host, port, catalog, db, demo_shop)
    else:
        supervise(host, port, catalog, db, demo_shop, workers)


def serve_alone(host: str, port: int, catalog: str | Path | None, db: str | Path | None, demo_shop: bool) -> None:
    import uvicorn

    from .api.main import create_app
    from .engines import Engines
    from .keys import demo_shop_key

    # Load before the server starts: a bad catalog, a store that is down or missing weights then end as one clear
    # error for the CLI, instead of a traceback from uvicorn's lifespan handler.
    one_blas_thread()
    engines = Engines.load(catalog, db)
    shop_key = demo_shop_key(engines.keys) if demo_shop else None
    announce(len(engines.products), engines.keys, f"http://{host}:{port}", demo_shop, 1)
    log_requests()
    # uvicorn's access log is off: ui.api.middleware.RequestLog writes each request's line, with its request id and
    # the route template instead of the raw path (which may hold a user id, or a newline decoded from %0A).
    app = create_app(engines, demo_shop=demo_shop, shop_key=shop_key)
    settle()
    try:
        uvicorn.run(app, host=host, port=port, access_log=False)
    finally:
        engines.close()


def supervise(host: str, port: int, catalog: str | Path | None, db: str | Path | None, demo_shop: bool,
              workers: int) -> None:
    """The supervisor of N workers: the store prepared once (a bad catalog or a store that is down fail here, as
    one clear error), then uvicorn's supervisor, which ends when a worker cannot load (missing weights: the worker
    logs why) instead of starting it again and again."""
    from uvicorn import Config
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from recsys import read_products

    from .keys import KeyStore, demo_shop_key
    from .served_store import open_store, store_location

    folder = Path(catalog or DEMO_CATALOG)
    products = read_products(folder)
    db, files = store_location(db)
    keys = KeyStore(open_store(db, products, folder).engine)
    shop_key = demo_shop_key(keys) if demo_shop else None  # one key for every worker, the last start's revoked
    announce(len(products), keys, f"http://{host}:{port}", demo_shop, workers)
    log_requests()
    os.environ[WORKER_ENV] = json.dumps({"catalog": str(folder), "db": db, "files": str(files),
                                         "demo_shop": demo_shop, "shop_key": shop_key})
    config = Config(f"{__name__}:worker_app", factory=True, host=host, port=port, workers=workers, access_log=False)
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        raise RuntimeError("a worker could not load its models (its reason is logged above); the server stopped")


def max_workers() -> int:
    """Two workers a core: more only queue for the same cores while each holds its own copy of the models (a typo
    like --workers 1000 would otherwise start a thousand model loads and take the machine down)."""
    return 2 * (os.cpu_count() or 1)


def announce(served: int, keys: KeyStore, url: str, demo_shop: bool, workers: int) -> None:
    """The start-up messages, once a start (from the supervisor, not from each worker)."""
    log.warning("Atelier: serving %d products at %s%s (REST at /api/v1, contract at /docs%s) with %d %s",
                served, url, UI_PATH, ", demo shop page at /shop" if demo_shop else "",
                workers, "worker" if workers == 1 else "workers")
    if not any(key.scope == "admin" and not key.revoked for key in keys.list()):
        log.warning("Atelier: no admin API key yet; create one with `atelier keys create --name NAME --scope admin`")
    if workers > 1:  # Gradio keeps each browser session's queue in the memory of the process that took its first call
        log.warning("Atelier: with %d workers a browser's calls to the app at %s may reach a worker that does not "
                    "know its session and fail; the REST API and the widget are unaffected (serve the app with 1 "
                    "worker)", workers, UI_PATH)


def worker_app() -> FastAPI:
    """One worker's app (uvicorn calls this in each worker process of ``serve(workers=N)``): its own models over
    the store its supervisor prepared, and the supervisor's demo shop key.

    The workers load one at a time, each holding an exclusive lock on a file in the store's files folder: loading
    at once, N workers shared the cores and none served before all had loaded (17-22 s to the first try-on with 2
    workers on 2 cores, against 8 s for one). The first to hold the lock also embeds the catalog, which the next
    then finds done. A worker that loads while another serves imports its modules (most of a load) at a drawing's
    priority, so that the served requests keep the cores."""
    given = json.loads(os.environ[WORKER_ENV])
    log_requests()
    one_blas_thread()
    with FileLock(Path(given["files"]) / WORKER_LOAD_LOCK):  # the OS releases it if this worker dies
        try:
            import_aside("ui.api.main")
            from .api.main import create_app
            from .engines import Engines

            engines = Engines.load(given["catalog"], given["db"], ingest=False)
            app = create_app(engines, demo_shop=given["demo_shop"], shop_key=given["shop_key"])
        except Exception as err:  # noqa: BLE001  (whatever stops a load ends the server, not a loop of restarts)
            log.error("Atelier: a worker could not load: %s", err)
            from uvicorn.config import STARTUP_FAILURE

            sys.exit(STARTUP_FAILURE)  # uvicorn's supervisor then stops instead of starting the worker again
    settle()
    return app


def import_aside(module: str) -> None:
    """Import ``module`` on a thread at a drawing's priority (on Linux, where nice is each thread's), and wait: the
    threads that serve requests later are not this one, and keep theirs. Not lower: at nice 19 a worker loading
    beside a busy one got ~1.5% of a core and was not up after five minutes."""
    def low() -> None:
        if sys.platform == "linux":
            os.nice(DRAWING_NICE)
        importlib.import_module(module)

    with ThreadPoolExecutor(1, thread_name_prefix="atelier-import") as aside:
        aside.submit(low).result()


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
