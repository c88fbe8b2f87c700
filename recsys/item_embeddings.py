"""The item-embedding job: what an item is embedded from (its photo, else its text), the hash of exactly that
input, and loading the photo. ``Store.embed_items`` and the Ray job (``recsys.embed_job``) both use it, so that
the two embed and hash every item alike."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from atelier_io import ImageError, load_image

from .ingest import StoreError


@dataclass
class EmbedJob:
    """One item to embed: "image" (payload is the path) or "text" (payload is the text), and that input's hash."""

    item_id: str
    source: str
    payload: str
    content_hash: str


def item_text(item) -> str:
    """What an item without a photo is embedded from: title, description, colour, category, then attributes."""
    parts = [item["title"], item["description"], item["colour"], item["category"]]
    parts += [f"{key}: {value}" for key, value in json.loads(item["attributes"]).items()]
    return ". ".join(str(part) for part in parts if part not in (None, ""))


def job_for(item) -> EmbedJob:
    """The job for a stored item row (a mapping with the items table's columns): its photo if it has one, else
    its text; a FileNotFoundError naming the item if the photo cannot be read."""
    # An image is hashed by its bytes, not its path or mtime: a copied or touched photo is not re-embedded, an
    # edited one is. A text's hash is of the text itself, so only what the encoder sees can trigger re-embedding.
    if item["image_path"] is None:
        text = item_text(item)
        return EmbedJob(item["id"], "text", text, hashlib.sha256(f"text\x1f{text}".encode()).hexdigest())
    path = Path(item["image_path"])
    try:
        digest = hashlib.sha256(b"image\x1f" + path.read_bytes()).hexdigest()
    except OSError as err:
        raise FileNotFoundError(f"item {item['id']}: cannot read its image {path}: {err.strerror}") from err
    return EmbedJob(item["id"], "image", str(path), digest)


def load_job(job: EmbedJob):
    """An image job's decoded photo, or a StoreError naming the item."""
    try:
        return load_image(job.payload)
    except ImageError as err:
        raise StoreError(f"item {job.item_id}: {err}") from err
