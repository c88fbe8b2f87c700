"""Time-aware collaborative signals the recommender's ranker reads, counted only from before the visit.

    counts = RentalCounts(frame, index)       # weekly cumulative interactions per item
    counts.window(visit, days=28)             # interactions of each item in the 28 days before the visit
    counts.age_weeks(visit)                   # weeks since each item's first interaction (NaN: not yet seen)
    co = co_rentals(frame, index, days=60)    # item x item: shoppers who took both within 60 days
    co_score(co, history_rows, history_days, visit_day)   # what a history's recent picks are rented with

Fashion rentals follow the season and each dress's short life: on RentTheRunway an item's rentals in the month
before a visit predict the next rental better than its all-time count (bench/recommender_quality.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

CO_HALF_LIFE_DAYS = 30.0  # a history pick a month before the visit counts half as much for co-rentals


class RentalCounts:
    """Interactions per item per week since the first one in ``frame``, cumulated for window sums."""

    def __init__(self, frame: pd.DataFrame, index: dict[str, int]):
        weeks = ((frame["ts"] - frame["ts"].min()).dt.days // 7).to_numpy()
        self.start, self.n_weeks = frame["ts"].min(), int(weeks.max()) + 2
        rows = frame["item_id"].map(index).to_numpy()
        counts = sp.csr_matrix((np.ones(len(weeks), np.float32), (rows, weeks)), (len(index), self.n_weeks))
        self.cumulative = np.cumsum(counts.toarray(), 1)
        first = np.full(len(index), np.inf)
        np.minimum.at(first, rows, weeks)
        self.first_week = first

    def rows(self, subset: np.ndarray) -> RentalCounts:
        """The same counts for the items in ``subset`` only (a large catalog's candidate pool)."""
        out = object.__new__(RentalCounts)
        out.start, out.n_weeks = self.start, self.n_weeks
        out.cumulative, out.first_week = self.cumulative[subset], self.first_week[subset]
        return out

    def week_of(self, when: pd.Timestamp | None) -> int:
        """The week a visit falls in (the last week for None); its own week is not counted, so nothing of the
        visit day or after is seen."""
        if when is None:
            return self.n_weeks - 1
        return int(np.clip((when - self.start).days // 7, 0, self.n_weeks - 1))

    def window(self, when: pd.Timestamp | None, days: int | None) -> np.ndarray:
        """log(1 + interactions) of each item in the ``days`` before the visit's week (None: all before it)."""
        week = self.week_of(when)
        upto = self.cumulative[:, week - 1] if week >= 1 else np.zeros(len(self.cumulative), np.float32)
        if days is None:
            return np.log1p(upto)
        before = week - 1 - days // 7
        return np.log1p(upto - (self.cumulative[:, before] if before >= 0 else 0))

    def age_weeks(self, when: pd.Timestamp | None) -> np.ndarray:
        """Weeks since each item's first interaction, as of the visit; NaN for items not seen before it."""
        age = self.week_of(when) - self.first_week
        return np.where(age > 0, age, np.nan)


def co_rentals(frame: pd.DataFrame, index: dict[str, int], days: int, per_user: int = 200) -> sp.csr_matrix:
    """Item x item log(1 + shoppers who took both within ``days`` of each other). Each shopper's latest
    ``per_user`` interactions only, so one heavy account cannot make the pair count quadratic in its history."""
    frame = frame.sort_values("ts").groupby("user_id", sort=False).tail(per_user)
    rows = pd.DataFrame({"user": frame["user_id"].to_numpy(), "item": frame["item_id"].map(index).to_numpy(),
                         "day": (frame["ts"] - frame["ts"].min()).dt.days.to_numpy()})
    pairs = rows.merge(rows, on="user")
    pairs = pairs[(pairs["item_x"] != pairs["item_y"]) & ((pairs["day_x"] - pairs["day_y"]).abs() <= days)]
    pairs = pairs.drop_duplicates(["user", "item_x", "item_y"])
    n = len(index)
    matrix = sp.csr_matrix((np.ones(len(pairs), np.float32), (pairs["item_x"], pairs["item_y"])), (n, n))
    matrix.sum_duplicates()
    matrix.data = np.log1p(matrix.data)
    return matrix


def co_score(co: sp.csr_matrix, history: np.ndarray, ages_days: np.ndarray) -> sp.csr_matrix:
    """1 x n: how often each item is rented with the history's picks, recent picks weighing more."""
    weights = 0.5 ** (np.maximum(ages_days, 0) / CO_HALF_LIFE_DAYS)
    return sp.csr_matrix(weights[None, :].astype(np.float32)) @ co[history]
