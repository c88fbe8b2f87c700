"""Builds the FastAPI app: REST routers under /api/v1, the Gradio UI at /app, the widget and its demo shop page,
engines loaded in lifespan."""

from __future__ import annotations

import html
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import gradio as gr
from fastapi import FastAPI, HTTPException
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tryon import read_wearables

from .. import DEMO_CATALOG, UI_PATH
from ..app_rules import APP_CSS
from ..engines import Engines
from ..gradio_app import build_demo
from ..keys import demo_shop_key
from ..uploads import MAX_UPLOAD_BYTES
from .dependencies import NESTED_SCHEMAS, AdminKey, EngineDep
from .middleware import APP_BODY, RequestLog, SecurityHeaders, WidgetCors
from .routers import recsys, style, tryon
from .schemas import Health

WIDGET = Path(__file__).resolve().parents[1] / "widget"
DOCS_ASSETS = "/docs/assets"  # Swagger UI's and ReDoc's scripts and styles, from the fastapi-offline package


def _allowed_paths(engines: Engines | None, catalog: str | Path | None) -> list[str]:
    """Folders Gradio may serve files from: those holding the catalog and garment photos shown in results."""
    if engines is None:
        return [str(Path(catalog or DEMO_CATALOG).resolve())]
    photos = [p.image_path for p in engines.catalog.products] + [g.image_path for g in engines.garments]
    return sorted({str(Path(p).resolve().parent) for p in photos})


def create_app(engines: Engines | None = None, catalog: str | Path | None = None, demo_shop: bool = False,
               shop_key: str | None = None) -> FastAPI:
    """The whole service. Without ``engines``, the lifespan loads ``Engines.load(catalog)`` at startup.
    ``demo_shop``: serve the pretend shop page at /shop, which hands every visitor a live widget key: ``shop_key``,
    else one made at startup (``demo_shop_key``)."""

    # The stylists' zips of looks: a private folder, removed when the server stops. Left to the folder's own
    # finaliser (at interpreter exit) it stayed behind on SIGTERM, which uvicorn re-raises to end the process.
    looks = tempfile.TemporaryDirectory(prefix="atelier-looks-", ignore_cleanup_errors=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Loading blocks startup on purpose: no request is served before the models are ready.
        app.state.engines = engines if engines is not None else Engines.load(catalog)
        app.state.shop_key = (shop_key or demo_shop_key(app.state.engines.keys)) if demo_shop else None
        yield
        if engines is None:  # loaded here: its drawing process ends here (engines handed in are their owner's)
            app.state.engines.close()
        del app.state.engines  # drop the models with the app; reloading happens on the next startup
        shutil.rmtree(looks.name, ignore_errors=True)

    # /docs (Swagger UI) and /redoc are FastAPI's own pages with their scripts from the fastapi-offline package
    # instead of a CDN, so they work offline and ask no other host.
    app = FastAPIOffline(title="Atelier", summary="Virtual try-on, restyling, search and recommendations for fashion",
                         version="0.2.0", lifespan=lifespan, max_body_size=APP_BODY, static_url=DOCS_ASSETS)
    for router in (tryon.router, tryon.photos, style.router, recsys.router, recsys.photos, recsys.users,
                   recsys.catalog):
        app.include_router(router)
    app.add_middleware(WidgetCors)
    app.add_middleware(RequestLog)  # inside SecurityHeaders, so the 500 it answers gets them too
    app.add_middleware(SecurityHeaders)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(UI_PATH + "/")

    @app.get("/healthz", response_model=Health, tags=["service"])
    def healthz(loaded: EngineDep) -> Health:
        name = getattr(loaded.encoder, "name", type(loaded.encoder).__name__)
        return Health(encoder=name, products=len(loaded.products), garments=len(loaded.garments))

    @app.get("/metrics", include_in_schema=False)
    def metrics(_: AdminKey) -> Response:
        """Prometheus metrics (``ui/observe.py``), for an admin key only: the labels hold no key, user id or path,
        but request counts and model timings still tell how the shop is used and how loaded the server is."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/widget/atelier-tryon.js", include_in_schema=False)
    def widget_script() -> FileResponse:
        return FileResponse(WIDGET / "atelier-tryon.js", media_type="text/javascript")

    @app.get("/shop", include_in_schema=False)
    @app.get("/shop/{garment_id}", include_in_schema=False)
    def shop_page(loaded: EngineDep, garment_id: str | None = None) -> HTMLResponse:
        """A product page of a pretend shop with the widget embedded, as a shop would embed it."""
        if not demo_shop:
            raise HTTPException(404, "the demo shop page is off; start the server with --demo-shop")
        if not loaded.garments:
            raise HTTPException(404, "this catalog has no garments to try on")
        try:
            garment = loaded.garment(garment_id) if garment_id else loaded.garments[0]
        except KeyError as err:
            raise HTTPException(404, "no such garment") from err
        others = "".join(f'<li><a href="/shop/{html.escape(g.id)}">{html.escape(g.title)}</a></li>'
                         for g in loaded.garments if g.id != garment.id)  # "more to try": not this one again
        page = (WIDGET / "shop.html").read_text().format(
            title=html.escape(garment.title), garment_id=html.escape(garment.id), key=app.state.shop_key,
            others=others)
        return HTMLResponse(page)

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(NESTED_SCHEMAS)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
    garments = engines.garments if engines is not None else read_wearables(Path(catalog or DEMO_CATALOG))
    demo = build_demo(lambda: app.state.engines, garments, Path(looks.name))
    # run_history=False: Gradio would otherwise keep every call's inputs and outputs (admin keys typed into the
    # product tab, new keys, links to shoppers' photos) in the browser's localStorage, readable by any page of
    # this origin.
    return gr.mount_gradio_app(app, demo, path=UI_PATH, css=APP_CSS, allowed_paths=_allowed_paths(engines, catalog),
                               max_file_size=MAX_UPLOAD_BYTES, show_error=True, run_history=False)
