"""Builds the FastAPI app: REST routers under /api/v1, the Gradio UI at /app, engines loaded in lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from .. import DEMO_CATALOG
from ..engines import MAX_UPLOAD_BYTES, Engines
from ..gradio_app import build_demo
from .dependencies import EngineDep
from .routers import recsys
from .schemas import Health

UI_PATH = "/app"


def _allowed_paths(engines: Engines | None, catalog: str | Path | None) -> list[str]:
    """Folders Gradio may serve files from: those holding the catalog photos shown in results."""
    if engines is not None:
        return sorted({str(p.image_path.resolve().parent) for p in engines.catalog.products})
    return [str(Path(catalog or DEMO_CATALOG).resolve())]


def create_app(engines: Engines | None = None, catalog: str | Path | None = None) -> FastAPI:
    """The whole service. Without ``engines``, the lifespan loads ``Engines.load(catalog)`` at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Loading blocks startup on purpose: no request is served before the models are ready.
        app.state.engines = engines if engines is not None else Engines.load(catalog)
        yield
        del app.state.engines  # drop the models with the app; reloading happens on the next startup

    app = FastAPI(title="Atelier", summary="Virtual try-on, restyling and catalog search for fashion",
                  version="0.1.0", lifespan=lifespan)
    app.include_router(recsys.router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(UI_PATH + "/")

    @app.get("/healthz", response_model=Health, tags=["service"])
    def healthz(loaded: EngineDep) -> Health:
        name = getattr(loaded.encoder, "name", type(loaded.encoder).__name__)
        return Health(encoder=name, products=len(loaded.catalog.products))

    demo = build_demo(lambda: app.state.engines)
    return gr.mount_gradio_app(app, demo, path=UI_PATH, allowed_paths=_allowed_paths(engines, catalog),
                               max_file_size=MAX_UPLOAD_BYTES, show_error=True)
