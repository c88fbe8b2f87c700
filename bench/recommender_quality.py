"""Recommender quality on real shoppers: leave-last-out on RentTheRunway, Atelier against three baselines.

    .venv/bin/python bench/recommender_quality.py [--data ../shared/data] [--folds 5] [--min-rentals 5]

Shoppers with ≥ min-rentals rentals are split into folds; each fold's shoppers are absent from training (as in
the ``atelier recommend-batch`` contract, which this calls), their last rental (by date, ties to the later
row) is held out and the rest is their history. Every shopper is tested once. Popularity, item-kNN (cosine)
and ALS (implicit, history folded in) see the same training data and histories. History items are never
recommended. Writes bench/results/recommender_quality.{json,md}: HR@10, NDCG@10, MAP@12, coverage, hits.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from atelier_io import data_dir
from recsys import create_encoder, last_interactions
from recsys.batch import read_interactions, recommend_batch
from recsys.recommender import RecommenderConfig

K = 12  # MAP@12 needs 12; HR and NDCG read the first 10


def baselines(train: pd.DataFrame, users: pd.DataFrame, cfg: RecommenderConfig) -> dict[str, list[list[str]]]:
    """Top-K lists from popularity, item-kNN and ALS for each held-out shopper (same order as recommend_batch)."""
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import CosineRecommender

    held = last_interactions(users)
    histories, held_out = users[~held], users[held]
    items = sorted(set(train["item_id"]) | set(histories["item_id"]))
    index = {item: i for i, item in enumerate(items)}
    user_index = {u: i for i, u in enumerate(train["user_id"].unique())}
    matrix = _matrix(train["user_id"].map(user_index), train["item_id"].map(index), len(user_index), len(items))
    als = AlternatingLeastSquares(factors=cfg.factors, regularization=cfg.regularization, alpha=cfg.alpha,
                                  iterations=cfg.iterations, random_state=cfg.seed)
    als.fit(matrix, show_progress=False)
    knn = CosineRecommender(K=cfg.knn_neighbours)
    knn.fit(matrix, show_progress=False)
    popularity = np.asarray(matrix.sum(0)).ravel()
    grouped = dict(tuple(histories.groupby("user_id", sort=False)))
    out: dict[str, list[list[str]]] = {"popularity": [], "item-kNN": [], "ALS": []}
    for user in held_out["user_id"]:
        seen = [index[i] for i in grouped[user]["item_id"]] if user in grouped else []
        row = _matrix(np.zeros(len(seen), int), np.array(seen, int), 1, len(items))
        factor = np.asarray(als.recalculate_user(0, row)).ravel()
        scored = {"popularity": popularity.astype(float), "ALS": als.item_factors @ factor,
                  "item-kNN": (row @ knn.similarity).toarray().ravel() + 1e-9 * popularity}
        for name, scores in scored.items():
            scores = scores.copy()
            scores[seen] = -np.inf
            out[name].append([items[j] for j in np.argsort(-scores)[:K]])
    return out


def _matrix(rows, cols, n_rows: int, n_cols: int) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (np.asarray(rows), np.asarray(cols))), (n_rows, n_cols))
    matrix.sum_duplicates()
    return matrix


def metrics(lists: list[list[str]], truth: list[str], catalog_size: int) -> dict[str, float]:
    hits, ndcg, ap = 0, 0.0, 0.0
    for items, target in zip(lists, truth, strict=True):
        if target in items[:10]:
            hits += 1
            ndcg += 1 / np.log2(items.index(target) + 2)
        if target in items[:12]:
            ap += 1 / (items.index(target) + 1)  # one relevant item: AP is the reciprocal rank within the cut
    n = len(truth)
    return {"HR@10": round(hits / n, 4), "NDCG@10": round(ndcg / n, 5), "MAP@12": round(ap / n, 5),
            "coverage": round(len({i for items in lists for i in items[:10]}) / catalog_size, 4), "hits": hits}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(data_dir()))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--min-rentals", type=int, default=5)
    parser.add_argument("--out", default="bench/results/recommender_quality")
    args = parser.parse_args()
    frame = read_interactions(pd.read_parquet(Path(args.data) / "interactions" / "renttherunway.parquet"), "rtr")
    counts = frame["user_id"].value_counts()
    testable = counts.index[counts >= args.min_rentals].to_numpy()
    folds = np.array_split(np.random.default_rng(0).permutation(testable), args.folds)
    encoder, cfg = create_encoder(), RecommenderConfig()
    lists: dict[str, list[list[str]]] = {}
    truth: list[str] = []
    start = time.time()
    for number, fold in enumerate(folds, 1):
        in_fold = frame["user_id"].isin(set(fold))
        train, users = frame[~in_fold], frame[in_fold]
        with threadpool_limits(1, "blas"):
            rows = recommend_batch(train, users, k=K, encoder=encoder, config=cfg)
            for name, found in baselines(read_interactions(train, "train"), users, cfg).items():
                lists.setdefault(name, []).extend(found)
        lists.setdefault("Atelier", []).extend(row["items"] for row in rows)
        truth += [row["held_out"] for row in rows]
        print(f"fold {number}/{len(folds)}: {len(rows)} shoppers ({time.time() - start:.0f} s)", flush=True)
    catalog_size = frame["item_id"].nunique()
    table = {name: metrics(found, truth, catalog_size) for name, found in lists.items()}
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "shoppers": len(truth),
        "folds": args.folds,
        "seconds": round(time.time() - start),
        "models": table,
        "ndcg_vs_popularity": round(table["Atelier"]["NDCG@10"] / max(table["popularity"]["NDCG@10"], 1e-9), 2),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["| model | HR@10 | NDCG@10 | MAP@12 | coverage | hits |", "|---|---|---|---|---|---|"]
    lines += [f"| {n} | {m['HR@10']} | {m['NDCG@10']} | {m['MAP@12']} | {m['coverage']} | {m['hits']} |"
              for n, m in table.items()]
    header = f"{result['date']}, {result['machine']}, {len(truth)} shoppers, {args.folds} folds\n\n"
    out.with_suffix(".md").write_text(header + "\n".join(lines) + "\n")
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
