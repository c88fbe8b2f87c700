"""The models behind the app, loaded once and shared by the REST API and the Gradio UI.

``Engines`` grows one field per engine (try-on and restyle come next); both front ends call its methods,
so input limits and locking live in one place.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from recsys import Catalog, ImageError, Product, SearchHit, create_encoder, load_image, read_products

from . import DEMO_CATALOG

log = logging.getLogger(__name__)
MAX_QUERY_CHARS = 500
MAX_RESULTS = 100
# Uploads above this are refused before decoding; phone photos are well under it.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def check_query(query: str, k: int) -> None:
    """Refuse a search the API would refuse, with a message a shopper can act on."""
    if not isinstance(query, str) or not query.strip():
        raise ValueError("the search text is empty: type what you are looking for, e.g. 'red dress'")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"the search text has {len(query)} characters; the limit is {MAX_QUERY_CHARS}")
    check_k(k)


def check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_RESULTS:
        raise ValueError(f"k (number of results) must be an integer from 1 to {MAX_RESULTS}, got {k!r}")


@dataclass
class Engines:
    """Everything the app serves with. Tests build their own and pass it to ``create_app``."""

    encoder: object
    catalog: Catalog
    products: dict[str, Product] = field(init=False, repr=False)
    # The encoder's Hugging Face tokenizer raises "Already borrowed" when two threads call it at once,
    # and on a 2-core machine parallel encodes gain nothing, so encoder calls take turns.
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.products = {}
        for product in self.catalog.products:
            if product.id in self.products:
                raise ValueError(f"catalog lists product id {product.id!r} twice; ids must be unique")
            self.products[product.id] = product

    @classmethod
    def load(cls, catalog: str | Path | None = None) -> Engines:
        """The default encoder (``recsys.create_encoder()``) and ``catalog`` (default: the demo catalog)."""
        start = time.perf_counter()
        read_products(catalog or DEMO_CATALOG)  # a bad catalog folder fails here, before the slow encoder load
        encoder = create_encoder()
        catalog = Catalog.from_folder(catalog or DEMO_CATALOG, encoder)
        log.info("loaded the encoder and %d products in %.1f s", len(catalog.products), time.perf_counter() - start)
        return cls(encoder, catalog)

    def search_text(self, query: str, k: int) -> list[SearchHit]:
        check_query(query, k)
        with self._lock:
            return self.catalog.search(query, k=k)

    def search_image(self, image: bytes, k: int) -> list[SearchHit]:
        """Products most like an uploaded photo. The photo is decoded in memory and never stored;
        raises ``recsys.ImageError`` for anything that is not a usable image."""
        check_k(k)
        if len(image) > MAX_UPLOAD_BYTES:
            raise ImageError(f"the photo has {len(image):,} bytes, over the limit of {MAX_UPLOAD_BYTES:,} "
                             f"({MAX_UPLOAD_BYTES // 2**20} MB)")
        decoded = load_image(image)  # validate before taking the lock, so bad uploads never queue
        with self._lock:
            return self.catalog.search_image(decoded, k=k)
