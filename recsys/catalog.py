"""A searchable product catalog: embed a folder of product photos once, then search it by text or image."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


@dataclass
class Product:
    id: str
    image_path: Path
    title: str = ""
    attributes: dict = field(default_factory=dict)


@dataclass
class SearchHit:
    product: Product
    score: float


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

    @classmethod
    def from_folder(cls, folder: str | Path, encoder, batch_size: int = 32) -> Catalog:
        products = read_products(folder)
        embeddings = encoder.encode_images([p.image_path for p in products], batch_size=batch_size)
        return cls(products, embeddings, encoder)

    def search(self, query: str, k: int = 10) -> list[SearchHit]:
        """Products best matching a text query, best first."""
        return self._rank(self.encoder.encode_texts([query])[0], k)

    def search_image(self, image, k: int = 10) -> list[SearchHit]:
        """Products that look most like ``image`` (a path, bytes or PIL image), best first."""
        return self._rank(self.encoder.encode_images([image])[0], k)

    def _rank(self, query: np.ndarray, k: int) -> list[SearchHit]:
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        scores = self.embeddings @ query
        order = np.argsort(-scores)[:k]
        return [SearchHit(self.products[i], float(scores[i])) for i in order]
