"""``serve``: run the whole service (REST API and Gradio UI) with uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path

from .api.main import UI_PATH, create_app
from .engines import Engines

log = logging.getLogger(__name__)


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
    uvicorn.run(create_app(engines, demo_shop=demo_shop), host=host, port=port)
