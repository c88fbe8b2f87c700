"""Encoder quality on data the heads never trained on: the catalog's validation split (by id hash, as in
training) and another shop's studio photos (VISUELLE). Writes bench/results/encoder_quality.{json,md}.

    .venv/bin/python bench/encoder_quality.py [--data ../shared/data] [--backend auto]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from atelier_io import data_dir
from recsys import create_encoder
from recsys.evaluate import evaluate_products, evaluate_visuelle
from recsys.train_encoder import TrainConfig, is_validation, read_catalog


def holdout_folder(data: Path, out: Path) -> Path:
    """A products-layout folder (styles.csv + images/ as symlinks) of the validation split only."""
    table = read_catalog(data / "products")
    mod = TrainConfig(data_dir=data, out=Path()).val_fraction_mod
    table = table[[is_validation(i, mod) for i in table["id"]]]
    (out / "images").mkdir(parents=True, exist_ok=True)
    for image in table["image"]:
        link = out / "images" / image.name
        if not link.exists():
            link.symlink_to(image.resolve())
    table.drop(columns=["image"]).to_csv(out / "styles.csv", index=False)
    return out


def markdown(result: dict) -> str:
    p, v = result["products"], result["visuelle"]
    rows = [
        (
            "articleType zero-shot top-1 / weighted F1",
            f"{p['articleType']['top1']:.3f} / {p['articleType']['weighted_f1']:.3f}",
        ),
        ("baseColour zero-shot top-1", f"{p['baseColour']['top1']:.3f}"),
        ("usage zero-shot top-1", f"{p['usage']['top1']:.3f}"),
        (
            f"text→image R@1 / R@10 (gallery {p['text_to_image']['gallery']})",
            f"{p['text_to_image']['recall@1']:.3f} / {p['text_to_image']['recall@10']:.3f}",
        ),
        ("image→image P@10 (same articleType)", f"{p['image_to_image']['precision@10_same_articleType']:.3f}"),
        (f"VISUELLE colour top-1 ({v['colour']['classes']} classes)", f"{v['colour']['top1']:.3f}"),
        (f"VISUELLE category top-1 ({v['category']['classes']} classes)", f"{v['category']['top1']:.3f}"),
    ]
    head = (
        f"{result['encoder']} ({result['backend']}), {p['products']} held-out catalog products, "
        f"{v['products']} VISUELLE photos; {result['machine']}, {result['date']}\n\n"
    )
    return head + "| metric | value |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(data_dir()))
    parser.add_argument("--backend", default="auto", choices=["auto", "onnx", "torch"])
    parser.add_argument("--heads", help="heads file (default: the registry's)")
    parser.add_argument("--out", default="bench/results/encoder_quality")
    parser.add_argument("--holdout", default="cache/holdout_products")
    args = parser.parse_args()
    data = Path(args.data)
    encoder = create_encoder(backend=args.backend, pretrained=args.heads)
    result = {
        "encoder": encoder.name,
        "backend": type(encoder).__name__,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "products": evaluate_products(encoder, holdout_folder(data, Path(args.holdout))),
        "visuelle": evaluate_visuelle(encoder, data / "trends" / "visuelle"),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
