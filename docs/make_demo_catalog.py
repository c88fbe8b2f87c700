"""Rebuild ``ui/demo_catalog/``: the small attributed catalog the app searches out of the box.

    python docs/make_demo_catalog.py                     # reads $ATELIER_DATA or ../shared/data
    python docs/make_demo_catalog.py --data DIR --out ui/demo_catalog --seed 0

Picks one product per (articleType, gender, colour) slot below from Kaggle "Fashion Product Images
(Small)" and one H&M studio photo per product type, with a seeded generator, so the same data and seed
give the same catalog. Writes ``images/``, ``products.json`` and ``NOTICE.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from atelier_io import data_dir

# Slots shoppers search for: garments, shoes, bags and watches in several colours, men and women.
PRODUCT_SLOTS = [
    ("Dresses", "Women", "Red"), ("Dresses", "Women", "Black"), ("Dresses", "Women", "Blue"),
    ("Dresses", "Women", "Pink"), ("Dresses", "Women", "White"),
    ("Tops", "Women", "White"), ("Tops", "Women", "Pink"), ("Tops", "Women", "Green"),
    ("Shirts", "Men", "White"), ("Shirts", "Men", "Blue"), ("Shirts", "Men", "Red"),
    ("Shirts", "Men", "Green"), ("Shirts", "Women", "Black"),
    ("Tshirts", "Men", "Black"), ("Tshirts", "Men", "White"), ("Tshirts", "Men", "Yellow"),
    ("Tshirts", "Women", "Red"), ("Tshirts", "Women", "Purple"),
    ("Jeans", "Men", "Blue"), ("Jeans", "Men", "Black"), ("Jeans", "Women", "Blue"),
    ("Jackets", "Men", "Black"), ("Jackets", "Men", "Navy Blue"), ("Jackets", "Women", "Red"),
    ("Sweaters", "Men", "Grey"), ("Skirts", "Women", "Blue"),
    ("Casual Shoes", "Men", "Brown"), ("Casual Shoes", "Men", "White"),
    ("Sports Shoes", "Women", "White"), ("Sports Shoes", "Men", "Black"),
    ("Heels", "Women", "Red"), ("Heels", "Women", "Black"), ("Flats", "Women", "Gold"),
    ("Handbags", "Women", "Black"), ("Handbags", "Women", "Brown"), ("Handbags", "Women", "Red"),
    ("Backpacks", "Unisex", "Blue"),
    ("Watches", "Men", "Black"), ("Watches", "Women", "Gold"), ("Watches", "Men", "Silver"),
]
# H&M studio photos are larger and show garments worn or styled; adult ranges only.
HM_TYPES = ["Dress", "Dress", "Coat", "Jacket", "Shirt", "Blouse", "Sweater", "Boots"]
HM_GROUPS = {"Ladieswear", "Menswear", "Divided"}
HM_LONG_SIDE, HM_QUALITY = 384, 85
PRODUCT_ATTRIBUTES = ["articleType", "baseColour", "gender", "usage"]
HM_ATTRIBUTES = ["product_type_name", "colour_group_name", "index_group_name"]


def pick_products(data: Path, rng: np.random.Generator) -> list[tuple[dict, Path]]:
    styles = pd.read_csv(data / "products" / "styles.csv", on_bad_lines="skip").dropna(
        subset=["productDisplayName", *PRODUCT_ATTRIBUTES])
    # Kidswear is often labelled Men/Women in styles.csv; keep it out of adult slots.
    styles = styles[~styles.productDisplayName.str.contains(r"\b(?:kids?|boys?|girls?|girl's)\b", case=False)]
    picked = []
    for article, gender, colour in PRODUCT_SLOTS:
        rows = styles[(styles.articleType == article) & (styles.gender == gender) & (styles.baseColour == colour)]
        rows = rows[[(data / "products" / "images" / f"{i}.jpg").is_file() for i in rows.id]].sort_values("id")
        if rows.empty:
            raise ValueError(f"no product with an image for slot {(article, gender, colour)} in {data}/products")
        row = rows.iloc[int(rng.integers(len(rows)))]
        entry = {"id": str(row.id), "image": f"images/{row.id}.jpg", "title": " ".join(row.productDisplayName.split()),
                 "attributes": {key: str(row[key]) for key in PRODUCT_ATTRIBUTES},
                 "source": "fashion-product-images-small"}
        picked.append((entry, data / "products" / "images" / f"{row.id}.jpg"))
    return picked


def pick_hm(data: Path, rng: np.random.Generator) -> list[tuple[dict, Path]]:
    articles = pd.read_parquet(data / "hm" / "articles.parquet")
    articles["aid"] = articles.article_id.astype(str).str.zfill(10)
    photos = {p.stem for p in (data / "hm" / "images").glob("*.jpg")}
    articles = articles[articles.aid.isin(photos) & articles.index_group_name.isin(HM_GROUPS)].sort_values("aid")
    picked, used = [], set()
    for product_type in HM_TYPES:
        rows = articles[(articles.product_type_name == product_type) & ~articles.aid.isin(used)]
        if rows.empty:
            raise ValueError(f"no unused H&M photo of type {product_type!r} in {data}/hm")
        row = rows.iloc[int(rng.integers(len(rows)))]
        used.add(row.aid)
        entry = {"id": f"hm-{row.aid}", "image": f"images/hm_{row.aid}.jpg", "title": " ".join(row.prod_name.split()),
                 "attributes": {key: str(row[key]) for key in HM_ATTRIBUTES}, "source": "hm"}
        picked.append((entry, data / "hm" / "images" / f"{row.aid}.jpg"))
    return picked


def write_image(src: Path, dst: Path, source: str) -> None:
    if source != "hm":
        shutil.copyfile(src, dst)  # already 60x80 JPEGs: copy the bytes unchanged
        return
    with Image.open(src) as image:
        image = image.convert("RGB")
        image.thumbnail((HM_LONG_SIDE, HM_LONG_SIDE), Image.Resampling.LANCZOS)
        image.save(dst, "JPEG", quality=HM_QUALITY, optimize=True)


NOTICE = """# Demo catalog: sources and licences

These {total} product photos and their titles and attributes are a small demo subset of two public
datasets, shipped so that `atelier serve` and the tests work out of the box. They are not Atelier's
work and keep their original licences. Rebuild with `python docs/make_demo_catalog.py` (seed {seed}).

## Fashion Product Images (Small): {n_products} photos, `images/<id>.jpg`

Param Aggarwal, "Fashion Product Images (Small)", Kaggle,
https://www.kaggle.com/datasets/paramaggarwal/fashion-product-images-small . Kaggle lists the dataset
under the MIT licence. Photos are copied unchanged (60x80 px); titles are `productDisplayName`,
attributes are `articleType`, `baseColour`, `gender` and `usage` from `styles.csv`.

## H&M Personalized Fashion Recommendations: {n_hm} photos, `images/hm_<article_id>.jpg`

H&M Group, "H&M Personalized Fashion Recommendations" competition data, Kaggle,
https://www.kaggle.com/competitions/h-and-m-personalized-fashion-recommendations . Competition data
for research and non-commercial use only; images and article data remain H&M's. Photos are resized
to a long side of {long_side} px (JPEG quality {quality}); titles are `prod_name`, attributes are
`product_type_name`, `colour_group_name` and `index_group_name` from the article table.

Replace this folder with your own catalog (`atelier serve --catalog DIR`) for any commercial use.
"""


def build(data: Path, out: Path, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    picks = pick_products(data, rng) + pick_hm(data, rng)
    images = out / "images"
    if images.exists():
        shutil.rmtree(images)  # stale photos from an earlier selection must not linger
    images.mkdir(parents=True)
    for entry, src in picks:
        write_image(src, out / entry["image"], entry["source"])
    rows = [entry for entry, _ in picks]
    (out / "products.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    n_hm = sum(entry["source"] == "hm" for entry in rows)
    (out / "NOTICE.md").write_text(NOTICE.format(total=len(rows), seed=seed, n_products=len(rows) - n_hm,
                                                 n_hm=n_hm, long_side=HM_LONG_SIDE, quality=HM_QUALITY))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(data_dir()),
                        help="folder with products/ and hm/ (default $ATELIER_DATA or ../shared/data)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "ui" / "demo_catalog"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = build(Path(args.data), Path(args.out), args.seed)
    print(f"wrote {len(rows)} products to {args.out}")


if __name__ == "__main__":
    main()
