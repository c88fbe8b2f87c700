"""Measure an encoder on a labelled catalog (``atelier eval encoder``). Labels are used only for scoring:
zero-shot predictions come from prompts alone, ranked by cosine similarity."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from .prompts import CATEGORY_TEMPLATES, class_prototypes
from .train_encoder import read_catalog


def zero_shot(encoder, image_emb: np.ndarray, truth: pd.Series, templates: tuple[str, ...]) -> dict:
    """Top-1 and weighted F1 of prompt-only classification over the labels present in ``truth``."""
    keep = (truth != "").to_numpy()
    labels = sorted(truth[keep].unique())
    predicted = np.array(labels)[(image_emb[keep] @ class_prototypes(encoder, labels, templates).T).argmax(1)]
    return {
        "top1": round(float(accuracy_score(truth[keep], predicted)), 4),
        "weighted_f1": round(float(f1_score(truth[keep], predicted, average="weighted")), 4),
        "classes": len(labels),
        "n": int(keep.sum()),
    }


def retrieval(
    query: np.ndarray, gallery: np.ndarray, relevant, ks=(1, 10), exclude_self=False, chunk: int = 1024
) -> np.ndarray:
    """For each query row, a [len(ks)] vector of hits@k computed by ``relevant(query_rows, top_indices)``;
    chunked so a 40k-product catalog never needs a 40k x 40k matrix."""
    out = []
    for start in range(0, len(query), chunk):
        scores = query[start : start + chunk] @ gallery.T
        rows = np.arange(start, min(start + chunk, len(query)))
        if exclude_self:
            scores[np.arange(len(rows)), rows] = -np.inf
        top = np.argsort(-scores, axis=1)[:, : max(ks)]
        out.append(relevant(rows, top))
    return np.concatenate(out)


def evaluate_products(encoder, products_dir: Path, limit: int | None = None, seed: int = 0) -> dict:
    """Every encoder metric on a folder laid out as ../shared/data/products (styles.csv + images/{id}.jpg)."""
    table = read_catalog(Path(products_dir))
    if limit and limit < len(table):
        table = table.sample(limit, random_state=seed).reset_index(drop=True)
    start = time.time()
    images = encoder.encode_images(list(table["image"]))
    image_seconds = time.time() - start
    result = {"encoder": encoder.name, "products": len(table), "image_seconds": round(image_seconds, 1)}
    for key, column in (("articleType", "articleType"), ("baseColour", "baseColour"), ("usage", "usage")):
        templates = CATEGORY_TEMPLATES[{"articleType": "type", "baseColour": "colour", "usage": "usage"}[key]]
        result[key] = zero_shot(encoder, images, table[column], templates)

    named = (table["productDisplayName"] != "").to_numpy()
    texts = encoder.encode_texts(list(table.loc[named, "productDisplayName"]))
    targets = np.flatnonzero(named)
    hits = retrieval(
        texts, images, lambda rows, top: np.stack([(top[:, :k] == targets[rows, None]).any(1) for k in (1, 10)], axis=1)
    )
    result["text_to_image"] = {
        "recall@1": round(float(hits[:, 0].mean()), 4),
        "recall@10": round(float(hits[:, 1].mean()), 4),
        "queries": int(named.sum()),
        "gallery": len(table),
    }
    types = table["articleType"].to_numpy()
    same = retrieval(
        images,
        images,
        lambda rows, top: (types[top] == types[rows, None]).mean(1, keepdims=True),
        ks=(10,),
        exclude_self=True,
    )
    result["image_to_image"] = {"precision@10_same_articleType": round(float(same.mean()), 4)}
    return result


def evaluate_visuelle(encoder, visuelle_dir: Path) -> dict:
    """Colour and category zero-shot on another shop's studio photos (VISUELLE's train.csv + images/)."""
    visuelle_dir = Path(visuelle_dir)
    table = pd.read_csv(visuelle_dir / "train.csv")
    table["image"] = [visuelle_dir / "images" / f"{int(c):05d}.jpg" for c in table["external_code"]]
    table = table[[p.is_file() for p in table["image"]]].reset_index(drop=True)
    images = encoder.encode_images(list(table["image"]))
    return {
        "encoder": encoder.name,
        "products": len(table),
        "colour": zero_shot(encoder, images, table["color"].astype(str), CATEGORY_TEMPLATES["colour"]),
        "category": zero_shot(encoder, images, table["category"].astype(str), CATEGORY_TEMPLATES["type"]),
    }
