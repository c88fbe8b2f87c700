"""``serve``: run the whole service (REST API and Gradio UI) with uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path

from .api.main import UI_PATH, create_app
from .engines import Engines

log = logging.getLogger(__name__)


def serve(host: str = "127.0.0.1", port: int = 7860, catalog: str | Path | None = None) -> None:
    """Serve ``catalog`` (default: the demo catalog) at http://host:port/app until interrupted."""
    import uvicorn

    if not 0 <= port <= 65535:
        raise ValueError(f"port must be from 0 to 65535, got {port}")
    # Load before the server starts: a bad catalog or missing weights then ends as one clear error for
    # the CLI, instead of a traceback from uvicorn's lifespan handler.
    engines = Engines.load(catalog)
    log.warning("Atelier: serving %d products at http://%s:%d%s", len(engines.catalog.products), host, port, UI_PATH)
    uvicorn.run(create_app(engines), host=host, port=port)
