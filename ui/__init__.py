"""ui: Atelier's REST API and Gradio UI, served together.

    from ui import serve
    serve(port=7860)                   # REST at /api/v1, docs at /docs, UI at /app, widget demo at /shop

    app = create_app(Engines.load(db="shop.db"))   # or build the FastAPI app yourself (tests pass their own)
    KeyStore(engines.store.engine).create("my shop", "widget")   # API keys, stored hashed

Importing ``ui`` is cheap: the web stack and the models load on first use.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

DEMO_CATALOG = Path(__file__).resolve().parent / "demo_catalog"
UI_PATH = "/app"  # where the Gradio app is mounted

if TYPE_CHECKING:
    from .api.main import create_app
    from .engines import Engines
    from .gradio_app import build_demo
    from .keys import KeyStore
    from .server import serve
    from .trends_view import demo_trends_store

# `atelier search` needs only DEMO_CATALOG; it should not pay for importing gradio and fastapi.
_LAZY = {"Engines": ".engines", "KeyStore": ".keys", "build_demo": ".gradio_app", "create_app": ".api.main",
         "demo_trends_store": ".trends_view", "serve": ".server"}

__all__ = ["DEMO_CATALOG", "UI_PATH", "Engines", "KeyStore", "build_demo", "create_app", "demo_trends_store", "serve"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
