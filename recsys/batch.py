"""``atelier recommend-batch``: leave-last-out recommendations for shoppers who are not in the training file.

    train  = read_table("train.parquet")   # user_id, item_id, review_date (or ts), optional rating/category/...
    users  = read_table("users.parquet")   # same columns; shoppers absent from train
    rows   = recommend_batch(train, users, k=10)   # [{"user_id", "items", "held_out"}, ...]

Each shopper's last interaction (by date; ties go to the later row) is held out and never reaches training;
the rest is their history. The catalog is every item in the training file plus the items in the histories,
never an item seen only in a held-out row. Item signals come from what the file carries: a caption of the
item's attributes (category, what it was rented for) embedded by the encoder's text tower, and the
Bayesian-smoothed mean rating as s(y) (RentTheRunway's review texts are not in the data).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .holdout import hold_out_last
from .prompts import attribute_caption
from .recommender import ItemSignals, Recommender, RecommenderConfig
from .sentiment import item_sentiment

log = logging.getLogger(__name__)
TIME_COLUMNS = ("ts", "review_date", "timestamp", "date")


def read_interactions(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """user_id, item_id, ts (+ whatever else) with ids as strings; a clear error for what is missing or bad."""
    time_col = next((c for c in TIME_COLUMNS if c in frame.columns), None)
    missing = [c for c in ("user_id", "item_id") if c not in frame.columns] + ([] if time_col else ["review_date"])
    if missing:
        raise ValueError(f"{name}: missing columns {missing} (have {sorted(map(str, frame.columns))})")
    out = frame.rename(columns={time_col: "ts"}).copy()
    if out[["user_id", "item_id"]].isna().any().any():
        raise ValueError(f"{name}: {int(out[['user_id', 'item_id']].isna().any(axis=1).sum())} rows lack an id")
    out["user_id"], out["item_id"] = out["user_id"].astype(str), out["item_id"].astype(str)
    out["ts"] = pd.to_datetime(out["ts"], errors="coerce")
    if out["ts"].isna().any():
        bad = out.index[out["ts"].isna()][:5].tolist()
        raise ValueError(f"{name}: {int(out['ts'].isna().sum())} rows have no readable date (rows {bad})")
    if out.empty:
        raise ValueError(f"{name}: no interactions")
    return out.reset_index(drop=True)


def item_signals(frame: pd.DataFrame, encoder=None) -> ItemSignals:
    """ItemSignals for every item in ``frame`` from its attribute columns and ratings (either may be absent)."""
    ids = sorted(frame["item_id"].unique())
    colour, category, usage = (_modes(frame, column, ids) for column in ("colour", "category", "rented_for"))
    captions = [attribute_caption(*named, usage=use) for *named, use in zip(colour, category, usage, strict=True)]
    embeddings = encoder.encode_texts(captions) if encoder is not None else None
    sentiment = counts = None
    if "rating" in frame.columns and frame["rating"].notna().any():
        polarity = _polarity(frame["rating"])
        table = item_sentiment(pd.DataFrame({"item_id": frame["item_id"], "sentiment": polarity}).dropna())
        sentiment = table["sentiment"].reindex(ids).to_numpy(np.float32)
        counts = table["n_reviews"].reindex(ids).fillna(0).to_numpy()
    titles = [c.removeprefix("a photo of a ") for c in captions]
    return ItemSignals(ids, embeddings, sentiment, counts, titles, [c or "" for c in category])


def _modes(frame: pd.DataFrame, column: str, ids: list[str]) -> list[str | None]:
    """Each item's most frequent value of ``column`` (the smallest on a tie, as Series.mode), None if it has none."""
    if column not in frame:
        return [None] * len(ids)
    values = frame[["item_id", column]].dropna().astype(str)
    counts = values.groupby(["item_id", column]).size()  # sorted by item, then value
    best = counts.groupby(level=0).idxmax().map(lambda pair: pair[1])
    return [None if pd.isna(v) else v for v in best.reindex(ids)]


def _polarity(ratings: pd.Series) -> pd.Series:
    """Ratings → [-1, 1]: 1-5 stars or RentTheRunway's 2-10, judged from the largest value present."""
    ratings = pd.to_numeric(ratings, errors="coerce")
    low, high = (2.0, 10.0) if ratings.max() > 5 else (1.0, 5.0)
    return ((ratings - low) / (high - low) * 2 - 1).clip(-1, 1)


def recommend_batch(train: pd.DataFrame, users: pd.DataFrame, k: int = 10, encoder=None,
                    config: RecommenderConfig | None = None) -> list[dict]:
    """One {"user_id", "items", "held_out"} per shopper in ``users`` (in first-appearance order)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    train, users = read_interactions(train, "train"), read_interactions(users, "users")
    histories, held_out = hold_out_last(users)
    catalog = pd.concat([train, histories], ignore_index=True)
    signals = item_signals(catalog, encoder)
    model = Recommender(config).fit(train, signals)
    grouped = dict(tuple(histories.groupby("user_id", sort=False)))
    rows = []
    for row in held_out.itertuples(index=False):
        history = grouped.get(row.user_id, histories.iloc[:0])
        recs = model.recommend(history["item_id"].tolist(), k, history["ts"].tolist(), as_of=row.ts)
        rows.append({"user_id": row.user_id, "items": [r.item_id for r in recs], "held_out": row.item_id})
    return rows
