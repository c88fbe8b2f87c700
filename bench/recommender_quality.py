"""Recommender quality on real shoppers: next-rental prediction on RentTheRunway, Atelier against the baselines.

    .venv/bin/python bench/recommender_quality.py [--data DIR] [--shoppers 6000] [--folds 3] [--embed-captions]

Shoppers with 2 or more rentals are sampled (seeded) and split into folds; each fold's shoppers are absent from
training, as in the ``atelier recommend-batch`` contract, which this calls. Their last rental by date (ties to
the later row: ``recsys.hold_out_last``) is held out and the rest is their history; the visit date is the
held-out rental's. Every baseline sees the same training data, histories and visit date and never recommends a
history item:

- popularity (all-time rentals) and recent popularity (rentals in the 28 days before the visit);
- item-kNN (cosine) and co-rental (items rented by one shopper within 60 days of a history pick);
- implicit ALS, tuned first: a grid over factors, regularisation, alpha, BM25 weighting and iterations,
  scored on training shoppers' own next rentals (never on the test folds), the best used for every fold.

Writes bench/results/recommender_quality.{json,md}: HR@10, NDCG@10, MAP@12, coverage, hits, for all tested
shoppers and for those with 5 or more rentals.
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
from recsys import create_encoder, hold_out_last
from recsys.batch import read_interactions, recommend_batch
from recsys.signals import RentalCounts, co_rentals, co_score

K = 12  # MAP@12 needs 12; HR and NDCG read the first 10
ALS_GRID = [  # (factors, regularization, alpha, bm25, iterations)
    (64, 0.05, 10.0, False, 15), (32, 1.0, 5.0, False, 15), (32, 0.1, 1.0, False, 15), (64, 1.0, 5.0, False, 20),
    (16, 0.1, 2.0, False, 15), (128, 1.0, 5.0, False, 15), (32, 1.0, 1.0, True, 15), (64, 0.1, 1.0, True, 15),
]


class Baselines:
    """Every baseline fitted on one training frame, over one item list."""

    def __init__(self, train: pd.DataFrame, items: list[str], als: tuple):
        from implicit.nearest_neighbours import CosineRecommender

        self.items, self.index = items, {item: i for i, item in enumerate(items)}
        users = {u: i for i, u in enumerate(train["user_id"].unique())}
        matrix = _matrix(train["user_id"].map(users), train["item_id"].map(self.index), len(users), len(items))
        self.als = fit_als(matrix, als)
        self.knn = CosineRecommender(K=100)
        self.knn.fit(matrix, show_progress=False)
        self.popularity = np.asarray(matrix.sum(0)).ravel().astype(float)
        self.counts = RentalCounts(train, self.index)
        self.co = co_rentals(train, self.index, days=60)

    def scores(self, history: pd.DataFrame, visit: pd.Timestamp) -> dict[str, np.ndarray]:
        seen = np.array([self.index[i] for i in history["item_id"]], int)
        row = _matrix(np.zeros(len(seen), int), seen, 1, len(self.items))
        factor = np.asarray(self.als.recalculate_user(0, row)).ravel()
        ages = (visit - history["ts"]).dt.days.to_numpy(float)
        tie = 1e-6 * self.popularity  # items a signal cannot tell apart fall back to popularity
        co = co_score(self.co, seen, ages).toarray().ravel() if len(seen) else np.zeros(len(self.items))
        return {"popularity": self.popularity, "recent popularity": self.counts.window(visit, 28) + tie,
                "item-kNN": (row @ self.knn.similarity).toarray().ravel() + tie, "co-rental": co + tie,
                "ALS": self.als.item_factors @ factor}

    def top(self, history: pd.DataFrame, visit: pd.Timestamp) -> dict[str, list[str]]:
        seen = [self.index[i] for i in history["item_id"]]
        out = {}
        for name, scores in self.scores(history, visit).items():
            scores = scores.copy()
            scores[seen] = -np.inf
            out[name] = [self.items[j] for j in np.argsort(-scores)[:K]]
        return out


def _matrix(rows, cols, n_rows: int, n_cols: int) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (np.asarray(rows), np.asarray(cols))), (n_rows, n_cols))
    matrix.sum_duplicates()
    return matrix


def fold_baselines(train: pd.DataFrame, histories: pd.DataFrame, held_out: pd.DataFrame,
                   als: tuple) -> dict[str, list[list[str]]]:
    """Top-K lists of every baseline for each held-out shopper (held_out's order)."""
    items = sorted(set(train["item_id"]) | set(histories["item_id"]))
    model = Baselines(train, items, als)
    grouped = dict(tuple(histories.groupby("user_id", sort=False)))
    out: dict[str, list[list[str]]] = {}
    for row in held_out.itertuples(index=False):
        for name, found in model.top(grouped.get(row.user_id, histories.iloc[:0]), row.ts).items():
            out.setdefault(name, []).append(found)
    return out


def tune_als(train: pd.DataFrame, shoppers: int = 3000) -> tuple[tuple, dict[str, float]]:
    """The ALS_GRID entry with the best NDCG@10 on ``shoppers`` training shoppers' own next rentals."""
    counts = train["user_id"].value_counts()
    chosen = set(np.random.default_rng(1).permutation(counts.index[counts >= 2].to_numpy())[:shoppers])
    histories, held_out = hold_out_last(train[train["user_id"].isin(chosen)])
    rest = pd.concat([train[~train["user_id"].isin(chosen)], histories], ignore_index=True)
    held_out = held_out[held_out["item_id"].isin(set(rest["item_id"]))]
    items = sorted(set(rest["item_id"]))
    index = {item: i for i, item in enumerate(items)}
    users = {u: i for i, u in enumerate(rest["user_id"].unique())}
    matrix = _matrix(rest["user_id"].map(users), rest["item_id"].map(index), len(users), len(items))
    grouped = histories.groupby("user_id", sort=False)["item_id"]
    rows = [[index[i] for i in grouped.get_group(u)] for u in held_out["user_id"]]
    folded = _matrix(np.repeat(np.arange(len(rows)), [len(r) for r in rows]), np.concatenate(rows), len(rows),
                     len(items))
    scores = {}
    for als in ALS_GRID:
        model = fit_als(matrix, als)
        top = model.recommend(np.arange(len(rows)), folded, N=K, recalculate_user=True,
                              filter_already_liked_items=True)[0]
        lists = [[items[j] for j in row] for row in top]
        scores[str(als)] = metrics(lists, held_out["item_id"].tolist(), 1)["NDCG@10"]
        print(f"ALS {als}: NDCG@10 {scores[str(als)]}", flush=True)
    best = max(ALS_GRID, key=lambda als: scores[str(als)])
    return best, scores


def fit_als(matrix: sp.csr_matrix, als: tuple):
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import bm25_weight

    factors, regularization, alpha, bm25, iterations = als
    model = AlternatingLeastSquares(factors=factors, regularization=regularization, alpha=alpha,
                                    iterations=iterations, random_state=0)
    model.fit(bm25_weight(matrix).tocsr() if bm25 else matrix, show_progress=False)
    return model


def metrics(lists: list[list[str]], truth: list[str], catalog_size: int) -> dict[str, float]:
    hits, ndcg, ap = 0, 0.0, 0.0
    for items, target in zip(lists, truth, strict=True):
        if target in items[:10]:
            hits += 1
            ndcg += 1 / np.log2(items.index(target) + 2)
        if target in items[:12]:
            ap += 1 / (items.index(target) + 1)  # one relevant item: AP is the reciprocal rank within the cut
    n = max(len(truth), 1)
    return {"HR@10": round(hits / n, 4), "NDCG@10": round(ndcg / n, 5), "MAP@12": round(ap / n, 5),
            "coverage": round(len({i for items in lists for i in items[:10]}) / catalog_size, 4), "hits": hits}


def table(lists: dict[str, list[list[str]]], truth: list[str], keep: np.ndarray, catalog_size: int) -> dict:
    return {name: metrics([f for f, k in zip(found, keep, strict=True) if k], list(np.array(truth)[keep]),
                          catalog_size) for name, found in lists.items()}


def markdown(models: dict[str, dict]) -> list[str]:
    lines = ["| model | HR@10 | NDCG@10 | MAP@12 | coverage | hits |", "|---|---|---|---|---|---|"]
    return lines + [f"| {n} | {m['HR@10']} | {m['NDCG@10']} | {m['MAP@12']} | {m['coverage']} | {m['hits']} |"
                     for n, m in models.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(data_dir()))
    parser.add_argument("--shoppers", type=int, default=6000, help="tested shoppers, sampled (0: all)")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--embed-captions", action="store_true",
                        help="Atelier with the text tower's caption embeddings (recommend-batch --embed-captions)")
    parser.add_argument("--out", default="bench/results/recommender_quality")
    args = parser.parse_args()
    frame = read_interactions(pd.read_parquet(Path(args.data) / "interactions" / "renttherunway.parquet"), "rtr")
    counts = frame["user_id"].value_counts()
    testable = np.random.default_rng(0).permutation(counts.index[counts >= 2].to_numpy())
    testable = testable[:args.shoppers] if args.shoppers else testable
    folds = np.array_split(testable, args.folds)
    encoder = create_encoder() if args.embed_captions else None
    start = time.time()
    with threadpool_limits(1, "blas"):
        als, grid = tune_als(frame[~frame["user_id"].isin(set(folds[0]))])
    print(f"tuned ALS {als} ({time.time() - start:.0f} s)", flush=True)
    lists: dict[str, list[list[str]]] = {}
    truth, history_sizes = [], []
    for number, fold in enumerate(folds, 1):
        in_fold = frame["user_id"].isin(set(fold))
        train, users = frame[~in_fold], frame[in_fold]
        with threadpool_limits(1, "blas"):
            rows = recommend_batch(train, users, k=K, encoder=encoder)
            histories, held_out = hold_out_last(users)
            for name, found in fold_baselines(train, histories, held_out, als).items():
                lists.setdefault(name, []).extend(found)
        assert [r["held_out"] for r in rows] == held_out["item_id"].tolist()  # one hold-out rule for all
        lists.setdefault("Atelier", []).extend(row["items"] for row in rows)
        truth += [row["held_out"] for row in rows]
        history_sizes += held_out["user_id"].map(histories["user_id"].value_counts()).fillna(0).tolist()
        print(f"fold {number}/{len(folds)}: {len(rows)} shoppers ({time.time() - start:.0f} s)", flush=True)
    catalog_size = frame["item_id"].nunique()
    everyone = np.ones(len(truth), bool)
    heavy = np.array(history_sizes) >= 4  # 5 or more rentals: 4 in the history and the held-out one
    models, heavy_models = table(lists, truth, everyone, catalog_size), table(lists, truth, heavy, catalog_size)
    ndcg = {name: m["NDCG@10"] for name, m in models.items()}
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "shoppers": len(truth), "shoppers_5_plus": int(heavy.sum()), "folds": args.folds,
        "encoder": None if encoder is None else encoder.name, "seconds": round(time.time() - start),
        "als_tuned": {"chosen": list(als), "grid_ndcg@10": grid},
        "models": models, "models_5_plus": heavy_models,
        "ndcg_vs_popularity": round(ndcg["Atelier"] / max(ndcg["popularity"], 1e-9), 2),
        "ndcg_vs_als": round(ndcg["Atelier"] / max(ndcg["ALS"], 1e-9), 2),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    text = (f"{result['date']}, {result['machine']}, {len(truth)} shoppers with 2+ rentals, {args.folds} folds, "
            f"ALS tuned to {als} (factors, regularization, alpha, bm25, iterations)\n\n"
            + "\n".join(markdown(models)) + f"\n\nShoppers with 5 or more rentals ({int(heavy.sum())}):\n\n"
            + "\n".join(markdown(heavy_models)) + "\n")
    out.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
