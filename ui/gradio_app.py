"""The Gradio UI. ``build_demo`` lays it out; it loads nothing, so importing is cheap.

Each tab is one function that adds its components and listeners: shoppers (``app_shopper``), stylists
(``app_stylist``), product teams (``app_product``) and catalog search (here).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import gradio as gr

from recsys import SearchHit
from tryon import Wearable

from . import DEMO_CATALOG
from .app_product import product_tab
from .app_rules import QUEUE_SIZE, WHOLE, allow, logged, read_upload, shown, strip_on_upload
from .app_shopper import shopper_tab
from .app_stylist import stylist_tab
from .engines import Engines
from .uploads import MAX_RESULTS

GalleryItems = list[tuple[str, str]]
EnginesSource = Engines | Callable[[], Engines]

TEXT_EXAMPLES = ["red dress", "any top but black", "white sneakers", "blue jeans", "gold watch",
                 "brown handbag", "striped shirt for men"]
IMAGE_EXAMPLES = ["hm_0747346001.jpg", "30615.jpg", "56882.jpg", "52639.jpg"]
# Measured on the 2-core dev machine: a text search takes ~10 ms, a 384 px photo ~20 ms, a 12 MP phone
# photo ~0.5 s (mostly decoding, which waits for no lock). Two events at a time keep both cores busy,
# so a quick text search need not wait behind a phone photo; more would only contend for the same cores.
CONCURRENCY = 2
# Gradio's upload route always writes uploaded photos to its cache folder (the REST API never does). They are
# stripped of metadata on arrival (app_rules.strip_on_upload), then deleted every 5 minutes once 5 minutes old,
# and all of them at shutdown.
DELETE_CACHE = (300, 300)


def _gallery(hits: list[SearchHit]) -> GalleryItems:
    return [(str(hit.product.image_path), f"{hit.product.title} · {hit.score:.3f}") for hit in hits]


def _search_tab(engines: Callable[[], Engines]) -> None:
    with gr.Row():
        with gr.Column(scale=1):
            query = gr.Textbox(label="Describe what you want", placeholder="red dress", max_lines=1)
            search = gr.Button("Search", variant="primary")
            gr.Examples(TEXT_EXAMPLES, inputs=query, label="Try")
            # image_mode=None: Gradio hands over the uploaded file as is, without writing a converted copy;
            # recsys.load_image does the checked decoding.
            photo = gr.Image(label="…or find products like a photo", type="filepath", image_mode=None,
                             sources=["upload", "clipboard"], height=260)
            similar = gr.Button("Find similar")
            examples = [str(DEMO_CATALOG / "images" / name) for name in IMAGE_EXAMPLES
                        if (DEMO_CATALOG / "images" / name).is_file()]
            if examples:
                gr.Examples(examples, inputs=photo, label="Example photos")
            with gr.Accordion("Options", open=False):
                k = gr.Slider(1, MAX_RESULTS, value=12, step=1, label="Number of results")
        with gr.Column(scale=2):
            results = gr.Gallery(label="Results", columns=4, height="auto", object_fit="contain",
                                 interactive=False, elem_classes=[WHOLE])
            note = gr.Markdown()  # a condition no product met and what is offered instead

    # Searches finish in well under a second and run no tqdm loop, so these handlers take no gr.Progress.
    @logged
    def search_text(text: str, top_k: float, request: gr.Request) -> tuple[GalleryItems, str]:
        # The request's garment, colours, budget and size bind; words with no fashion request in them, a
        # contradiction or an impossible budget are refused with the engine's message.
        try:
            found = allow(engines(), request).search_text(text, int(top_k))
        except ValueError as err:
            raise shown(err) from err
        return _gallery(found.hits), f"_{found.message}_" if found.message else ""

    @logged
    def search_photo(path: str | None, top_k: float, request: gr.Request) -> tuple[GalleryItems, str]:
        if not path:
            raise gr.Error("upload a photo first (JPEG, PNG or WebP)")
        loaded = allow(engines(), request)
        try:
            return _gallery(loaded.search_image(read_upload(path), int(top_k))), ""
        except ValueError as err:
            raise shown(err) from err

    gr.on([search.click, query.submit], search_text, inputs=[query, k], outputs=[results, note], api_name="search")
    strip_on_upload(photo)
    gr.on([similar.click, photo.upload], search_photo, inputs=[photo, k], outputs=[results, note],
          api_name="search_image")


def build_demo(engines: EnginesSource, garments: list[Wearable], zips: Path) -> gr.Blocks:
    """The UI over ``engines``: the loaded engines, or a function returning them (``create_app`` passes one,
    since it builds the UI before its lifespan loads the models). ``garments``: the try-on garments to offer.
    ``zips``: a private folder for the stylists' zips of looks, which the caller removes when it stops."""
    get = engines if callable(engines) else lambda: engines
    choices = [(g.title, g.id) for g in garments]
    # analytics_enabled=False: shoppers' sessions are not reported to Gradio's servers.
    with gr.Blocks(title="Atelier", delete_cache=DELETE_CACHE, analytics_enabled=False) as demo:
        gr.Markdown("# Atelier\nTry garments on, restyle them, and find what goes with them.")
        with gr.Tabs():
            with gr.Tab("Try on", id="shopper"):
                shopper_tab(get, choices)
            with gr.Tab("Stylist", id="stylist"):
                stylist_tab(get, choices, zips)
            with gr.Tab("Catalog search", id="search"):
                _search_tab(get)
            with gr.Tab("For product teams", id="product"):
                origin, snippets = product_tab(get)
        demo.load(origin, outputs=snippets, api_name=False)
    return demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
