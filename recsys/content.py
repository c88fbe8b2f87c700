"""The recommender of a shop that has too few interactions to learn from: the design's m(h, y)·p(y) alone.

A new shop (or the demo catalog) has photos and perhaps comments, but no shopper with the three interactions
``Recommender.fit`` needs to learn its blend. ``ContentRecommender`` then ranks items by

    m'(h, y) · p'(y),   m' = (1 + cos(h, y)) / 2,   p' = (1 + s(y)) / 2  (0.5 where y has no comments)

Both factors are mapped into [0, 1] so that the product rises with each of them (a raw cosine can be negative,
which would flip the order). Nothing is learned, so there are no weights to hand-set: the formula is the design's
with w_s = 1, and t(y) is left out because it is itself fitted on comments. ``Shop.from_store`` switches to
``Recommender`` as soon as the store holds enough interactions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .recommender import (
    NOT_FITTED,
    ItemSignals,
    Recommendation,
    RecommenderConfig,
    check_config,
    check_items,
    looks_like_reason,
    recency_profile,
    review_reason,
)


class ContentRecommender(BaseEstimator):
    """``fit`` on item signals only; ``recommend`` and ``profile`` as ``Recommender`` has them.

    A scikit-learn style estimator: ``__init__`` only stores ``config`` (None: ``RecommenderConfig()``'s defaults,
    resolved in ``fit``; only its ``recency_half_life_days`` is used). ``fit`` learns ``config_``, ``items_`` (the
    ItemSignals), ``index_`` (item id -> row) and ``appeal_`` (p'(y) per item).
    """

    def __init__(self, config: RecommenderConfig | None = None):
        self.config = config

    def fit(self, items: ItemSignals) -> ContentRecommender:
        self.config_ = check_config(self.config)
        check_items(items)
        self.items_ = items
        self.index_ = {item_id: i for i, item_id in enumerate(items.ids)}
        sentiment = items.sentiment if items.sentiment is not None else np.full(len(items.ids), np.nan)
        self.appeal_ = (1 + np.nan_to_num(sentiment, nan=0.0)) / 2
        return self

    def profile(self, history: Sequence[str], times: Sequence[pd.Timestamp] | None = None) -> np.ndarray | None:
        check_is_fitted(self, "appeal_", msg=NOT_FITTED)
        if self.items_.embeddings is None:
            return None
        half_life = self.config_.recency_half_life_days
        return recency_profile(self.items_.embeddings, self._indices(history), times, half_life)

    def recommend(self, history: Sequence[str], k: int = 10, times: Sequence[pd.Timestamp] | None = None,
                  allowed: np.ndarray | None = None, exclude_history: bool = True,
                  profile: np.ndarray | None = None) -> list[Recommendation]:
        """Top-k items for a history of item ids, or for ``profile`` (e.g. a request's text embedding)."""
        check_is_fitted(self, "appeal_", msg=NOT_FITTED)
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        history = list(history)
        idx = self._indices(history)
        h = profile if profile is not None else self.profile(history, times)
        similarity = (1 + self.items_.embeddings @ h) / 2 if h is not None else np.ones(len(self.index_))
        score = similarity * self.appeal_
        if exclude_history and len(idx):
            score[idx] = -np.inf
        if allowed is not None:
            score = np.where(allowed, score, -np.inf)
        top = np.argsort(-score, kind="stable")
        top = top[np.isfinite(score[top])][:k]
        return [Recommendation(self.items_.ids[j], round(float(score[j]), 4), self._reasons(j, history, profile))
                for j in top]

    def _indices(self, history: Sequence[str]) -> np.ndarray:
        unknown = [i for i in history if i not in self.index_]
        if unknown:
            raise KeyError(f"unknown item ids in the history: {unknown[:5]}")
        return np.array([self.index_[i] for i in history], dtype=np.int64)

    def _reasons(self, j: int, history: list[str], profile: np.ndarray | None) -> list[str]:
        # A request's profile gets no reason here: "close to what you asked for" said the same of every item, and
        # what of the request an item meets is known to the caller that read the request (``Shop.for_ask``).
        looks = history and profile is None and self.items_.embeddings is not None
        first = looks_like_reason(self.items_, self.index_, history, j) if looks else None
        return [reason for reason in (first, review_reason(self.items_, j)) if reason]
