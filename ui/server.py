"""``serve``: run the whole service (REST API and Gradio UI) with uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path

from .api.main import UI_PATH, create_app
from .engines import Engines

log = logging.getLogger(__name__)
# The loggers of ui/observe.py and ui/app_rules.py: one line per request and per refusal in the app.
REQUEST_LOGGERS = "atelier"
LINE = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
          db: str | Path | None = None, demo_shop: bool = False) -> None:
    """Serve ``catalog`` (default: the demo catalog) with the store at ``db`` (default ``recsys.default_db()``)
    at http://host:port/app until interrupted; ``demo_shop`` adds the pretend shop page at /shop."""
    import uvicorn

    if not 0 <= port <= 65535:
        raise ValueError(f"port must be from 0 to 65535, got {port}")
    # Load before the server starts: a bad catalog or missing weights then ends as one clear error for
    # the CLI, instead of a traceback from uvicorn's lifespan handler.
    engines = Engines.load(catalog, db)
    log.warning("Atelier: serving %d products at http://%s:%d%s (REST at /api/v1, contract at /docs%s)",
                len(engines.products), host, port, UI_PATH, ", demo shop page at /shop" if demo_shop else "")
    if not any(key.scope == "admin" and not key.revoked for key in engines.keys.list()):
        log.warning("Atelier: no admin API key yet; create one with `atelier keys create --name NAME --scope admin`")
    log_requests()
    # uvicorn's access log is off: ui.api.middleware.RequestLog writes each request's line, with its request id and
    # the route template instead of the raw path (which may hold a user id, or a newline decoded from %0A).
    uvicorn.run(create_app(engines, demo_shop=demo_shop), host=host, port=port, access_log=False)
