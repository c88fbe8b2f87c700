"""Rebuild ``ui/demo_catalog/trends_sample/``: real dated sales the demo store's trends are ranked from.

    python docs/make_trends_sample.py                    # reads $ATELIER_DATA or ../shared/data
    python docs/make_trends_sample.py --data DIR --out ui/demo_catalog/trends_sample --units 100

From VISUELLE's ``train.csv`` (5,080 Nuna Lie products, 2016-12 .. 2019-10, each with its first 12 weeks of
sales normalised by ``normalization_scale.npy``): every product becomes an item (category, colour, and fabric as
its material) and its weekly sales become dated ``purchase`` interactions, one row per ``--units`` units sold
(a product's running total is rounded, so its weeks keep its total to within one row). Sales after the last
launch are dropped: those weeks hold only the tails of the final launches, not a shop still selling its range.
No randomness: the same data gives the same files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from atelier_io import data_dir

WEEKS = [str(week) for week in range(12)]
USER = "visuelle-shop"  # the sales are per product, not per shopper: one anonymous buyer stands for all


def read_products(folder: Path) -> tuple[pd.DataFrame, float]:
    products = pd.read_csv(folder / "train.csv", parse_dates=["release_date"]).sort_values("external_code")
    return products.reset_index(drop=True), float(np.load(folder / "normalization_scale.npy"))


def items_table(products: pd.DataFrame) -> pd.DataFrame:
    """The store's items columns; ``material``, ``detail`` and ``season`` land in ``attributes``."""
    return pd.DataFrame({
        "id": [f"visuelle-{code:05d}" for code in products["external_code"]],
        "title": products["color"] + " " + products["fabric"] + " " + products["category"],
        "category": products["category"], "colour": products["color"], "material": products["fabric"],
        "detail": products["extra"], "season": products["season"],
    })


def rows_per_week(products: pd.DataFrame, scale: float, units: int) -> np.ndarray:
    """[product, week] interaction rows: the rounded running total of units sold, differenced (returns count 0)."""
    sold = products[WEEKS].clip(lower=0).to_numpy() * scale / units
    running = np.rint(np.cumsum(sold, axis=1)).astype(int)
    return np.diff(running, axis=1, prepend=0)


def interactions_table(products: pd.DataFrame, ids: pd.Series, rows: np.ndarray) -> pd.DataFrame:
    product, week = np.nonzero(rows)
    repeats = rows[product, week]
    days = products["release_date"].to_numpy()[product] + (week * 7).astype("timedelta64[D]")
    frame = pd.DataFrame({"user_id": USER, "item_id": ids.to_numpy()[product], "ts": days, "kind": "purchase"})
    frame = frame.loc[frame.index.repeat(repeats)]
    frame = frame[frame["ts"] <= products["release_date"].max()]
    return frame.sort_values(["ts", "item_id"], kind="stable").reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="the real-data folder (default $ATELIER_DATA, else ../shared/data)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "ui/demo_catalog/trends_sample"))
    parser.add_argument("--units", type=int, default=100, help="units sold per interaction row (default 100)")
    args = parser.parse_args()
    products, scale = read_products(data_dir(args.data) / "trends" / "visuelle")
    items = items_table(products)
    interactions = interactions_table(products, items["id"], rows_per_week(products, scale, args.units))
    items = items[items["id"].isin(interactions["item_id"])]  # products that sold under one row's units
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    items.to_parquet(out / "items.parquet", index=False)
    interactions.to_parquet(out / "interactions.parquet", index=False)
    print(f"{len(items)} items, {len(interactions)} interactions "
          f"({interactions['ts'].min():%Y-%m-%d} .. {interactions['ts'].max():%Y-%m-%d}) → {out}")


if __name__ == "__main__":
    main()
