"""A searchable product catalog: embed a folder of product photos once, then search it by a request or a photo.

    catalog = Catalog.from_folder("ui/demo_catalog", encoder)
    catalog.search(ask_from(parser("any top but black")), k=10)   # SearchResult: hits + message
    catalog.search_image("shirt.jpg", k=10)

A request's garment, colours, exclusions, budget and size bind (``filters.select``, the rules recommendations
follow too); its words rank what they allow.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tryon import Ask

from .filters import ItemFacts, select

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


@dataclass
class Product:
    id: str
    image_path: Path
    title: str = ""
    attributes: dict = field(default_factory=dict)
    # What a store holds beside the attributes (recsys.Store's columns); the request filters read them.
    category: str | None = None
    colour: str | None = None
    price: float | None = None


@dataclass
class SearchHit:
    product: Product
    score: float


@dataclass
class SearchResult:
    """Hits best first, and a message when the request could not be met as asked ("no red shoes under 50; the
    cheapest red shoes are 55") or parts of it could not be checked."""

    hits: list[SearchHit]
    message: str | None = None


def list_images(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder of images")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise ValueError(f"{folder}: holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return paths


def read_products(folder: str | Path) -> list[Product]:
    """Products of a catalog folder: ``products.json`` (id, image, title, attributes) if present, else the
    folder's images (or its ``images/`` sub-folder) with the file stem as id."""
    folder = Path(folder)
    listing = folder / "products.json"
    if listing.is_file():
        rows = json.loads(listing.read_text())
        return [
            Product(
                id=str(r["id"]),
                image_path=folder / r["image"],
                title=r.get("title", ""),
                attributes=r.get("attributes", {}),
                category=r.get("category"),
                colour=r.get("colour"),
                price=r.get("price"),
            )
            for r in rows
        ]
    images = folder / "images" if (folder / "images").is_dir() else folder
    return [Product(id=p.stem, image_path=p, title=p.stem) for p in list_images(images)]


class Catalog:
    """Products with their image embeddings; ``search`` ranks them by cosine similarity."""

    def __init__(self, products: list[Product], embeddings: np.ndarray, encoder):
        if len(products) != len(embeddings):
            raise ValueError(f"{len(products)} products but {len(embeddings)} embeddings")
        self.products, self.embeddings, self.encoder = products, embeddings, encoder
        self.facts = ItemFacts.read(pd.DataFrame({
            "title": [p.title for p in products], "attributes": [p.attributes for p in products],
            "category": [p.category for p in products], "colour": [p.colour for p in products],
            "price": [p.price for p in products]}))

    @classmethod
    def from_folder(cls, folder: str | Path, encoder, batch_size: int = 32) -> Catalog:
        products = read_products(folder)
        embeddings = encoder.encode_images([p.image_path for p in products], batch_size=batch_size)
        return cls(products, embeddings, encoder)

    def search(self, ask: Ask, k: int = 10) -> SearchResult:
        """Products a parsed request (``tryon.ask_from``) allows, ranked by how well its words match them.
        Refusals (no fashion request, contradictions, impossible budgets) are ``filters.RequestError``."""
        if not ask.text.strip():
            raise ValueError("the request has no words to search by: say what you are looking for")
        chosen = select(self.facts, ask)
        hits = self._rank(self.encoder.encode_texts([ask.text])[0], k, chosen.allowed)
        return SearchResult(hits, chosen.message)

    def search_image(self, image, k: int = 10) -> list[SearchHit]:
        """Products that look most like ``image`` (a path, bytes or PIL image), best first."""
        return self._rank(self.encoder.encode_images([image])[0], k)

    def _rank(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[SearchHit]:
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        scores = self.embeddings @ query
        order = np.argsort(-scores, kind="stable")
        if allowed is not None:
            order = order[allowed[order]]
        return [SearchHit(self.products[i], float(scores[i])) for i in order[:k]]
