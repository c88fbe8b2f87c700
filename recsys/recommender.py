"""The recommender: comment sentiment × visual features over the shopper's history, plus collaborative signals.

For a shopper with history h and every catalog item y it computes, as vectors over the catalog:

    m(h, y)   cosine between the shopper's profile (recency-weighted mean of their history's embeddings) and y
    s(y)      what comments say about y: Bayesian-smoothed sentiment (or rating) mean, see recsys.sentiment
    t(y)      what y's image (or text) embedding predicts about its appeal: a ridge regression from embedding to s
    p(y)      = w_s·s(y) + w_t·t(y), ranked by m(h, y)·p(y) as the design says
    als, knn  collaborative filtering (implicit ALS with fold-in, item-kNN cosine) on interactions
    trend     rentals/purchases of y in the 90 days before the visit (no peeking past it); ``recent``: 28 days

Each signal is z-scored per shopper and the final score is a learned linear blend
(``score = Σ β_f · z_f``, including the terms m·s and m·t that make up m·p). The β are fitted by
logistic regression on the training shoppers' own last interactions (leave-last-out inside ``fit``),
never hand-set. A signal an item lacks (no image, no comments, never bought) is 0 after z-scoring,
so the item is ranked on what it has.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.validation import check_is_fitted

from .holdout import last_interactions
from .index import VectorIndex

log = logging.getLogger(__name__)
FEATURES = ("m_s", "m_t", "m", "s", "t", "als", "knn", "pop", "trend", "recent")
CANDIDATE_SIGNALS = ("m", "als", "knn", "pop", "trend", "recent")
# From this many items on, a request no longer scores every item: each signal's top items come from an index or a
# precomputed list, and the features are computed and z-scored over their union only (bench/recommender_scale.py).
LARGE_CATALOG = 50_000
POOL = "pool"  # key of the features dict under which a large catalog's candidate pool travels to _candidates
NOT_FITTED = "This %(name)s is not fitted yet: call its fit method before recommend or profile."


@dataclass
class RecommenderConfig:
    factors: int = 64
    regularization: float = 0.05
    alpha: float = 10.0  # ALS confidence per interaction
    iterations: int = 15
    knn_neighbours: int = 100
    recency_half_life_days: float = 180.0  # the profile h weights a rental 180 days older half as much
    fusion_users: int = 3000  # training shoppers whose held-out last interaction teaches the blend
    candidates: int = 100  # each signal puts forward its top items; the blend ranks their union
    seed: int = 0


@dataclass
class Recommendation:
    item_id: str
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class ItemSignals:
    """What the catalog knows about each item, aligned with ``ids``; any part may be missing."""

    ids: list[str]
    embeddings: np.ndarray | None = None  # (n, d) L2-normalised; rows of zeros for items without one
    sentiment: np.ndarray | None = None  # smoothed mean in [-1, 1]; NaN where an item has no comments
    comment_counts: np.ndarray | None = None
    titles: list[str] | None = None


class Recommender(BaseEstimator):
    """``fit`` on interactions (+ item signals), then ``recommend`` for a history of item ids.

    A scikit-learn style estimator: ``__init__`` only stores ``config`` (None: ``RecommenderConfig()``'s defaults,
    resolved in ``fit``). What ``fit`` learns ends in ``_``: ``config_``, ``items_`` (the ItemSignals), ``index_``
    (item id -> row), ``weights_`` (the blend's β per feature), ``users_``, ``user_items_``, ``als_``, ``knn_``,
    ``popularity_``, ``trend_``, ``appeal_`` (t(y), or None), ``has_embedding_``, ``has_sentiment_``, ``large_``
    (candidate-pool serving) and, for a large catalog, ``content_index_``, ``als_index_``, ``top_popular_``,
    ``trending_``, ``trending_counter_``.
    """

    def __init__(self, config: RecommenderConfig | None = None):
        self.config = config

    # --- training ------------------------------------------------------------------------------------
    def fit(self, interactions: pd.DataFrame, items: ItemSignals) -> Recommender:
        """interactions: columns user_id, item_id, ts (datetime). Items unknown to ``items`` are refused."""
        self.config_ = check_config(self.config)
        check_items(items)
        frame = _check_interactions(interactions, items.ids)
        self.items_ = items
        self.index_ = {item_id: i for i, item_id in enumerate(items.ids)}
        self.has_embedding_ = None if items.embeddings is None else np.abs(items.embeddings).sum(1) > 0
        self.has_sentiment_ = None if items.sentiment is None else ~np.isnan(items.sentiment)
        self.large_ = len(self.index_) >= LARGE_CATALOG
        self.content_index_ = None  # large catalogs: built once here, the embeddings do not change within fit
        if self.large_ and items.embeddings is not None:
            self.content_index_ = VectorIndex(items.embeddings, seed=self.config_.seed)
        held_in, held_out = _split_last(frame, self.config_.fusion_users, self.config_.seed)
        log.info("learning the blend on %d training shoppers' last interactions", len(held_out))
        self._fit_components(held_in)
        weights = self._fit_blend(held_in, held_out)
        self._fit_components(frame)  # serve with every interaction
        self.weights_ = weights  # set last: its presence means fit completed
        return self

    def _fit_components(self, frame: pd.DataFrame) -> None:
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.nearest_neighbours import CosineRecommender
        from threadpoolctl import threadpool_limits

        cfg = self.config_
        self.users_ = {u: i for i, u in enumerate(frame["user_id"].unique())}
        rows = frame["user_id"].map(self.users_).to_numpy()
        cols = frame["item_id"].map(self.index_).to_numpy()
        matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), (len(self.users_), len(self.index_)))
        matrix.sum_duplicates()
        self.user_items_ = matrix
        with threadpool_limits(1, "blas"):  # implicit's own threads do the work; nested BLAS threads only thrash
            self.als_ = AlternatingLeastSquares(factors=cfg.factors, regularization=cfg.regularization,
                                                alpha=cfg.alpha, iterations=cfg.iterations, random_state=cfg.seed)
            self.als_.fit(matrix, show_progress=False)
        self.knn_ = CosineRecommender(K=cfg.knn_neighbours)
        self.knn_.fit(matrix, show_progress=False)
        counts = np.asarray(matrix.sum(0)).ravel()
        self.popularity_ = np.log1p(counts)
        self.trend_ = _TrendCounter(frame, self.index_)
        self.appeal_ = self._fit_appeal()
        if not self.large_:
            return
        # Large catalog: what _features needs to draw candidates without scoring every item (content_index_: fit).
        self.als_index_ = VectorIndex(self.als_.item_factors, normalised=False, seed=cfg.seed)
        kth = min(cfg.candidates, len(self.index_) - 1)  # argpartition's kth must lie inside the catalog
        self.top_popular_ = np.argpartition(-self.popularity_, kth)[:cfg.candidates]
        # The items among the top trending in some week hold the trend candidates of any visit date: a counter over
        # their rows alone finds them per request without counting over the whole catalog.
        weeks = [self.trend_.start + pd.Timedelta(weeks=w) for w in range(self.trend_.n_weeks)]
        tops = [np.argpartition(-self.trend_.at(when, days), kth)[:cfg.candidates]
                for when in weeks for days in (90, 28)]
        self.trending_ = np.unique(np.concatenate(tops))
        self.trending_counter_ = copy.copy(self.trend_)
        self.trending_counter_.cumulative = self.trend_.cumulative[self.trending_]

    def _fit_appeal(self) -> np.ndarray | None:
        """t(y): ridge regression from an item's embedding to its smoothed sentiment, so items with an image
        but no comments still get a sentiment-like score; None without embeddings or sentiment."""
        signals = self.items_
        if signals.embeddings is None or signals.sentiment is None:
            return None
        known = ~np.isnan(signals.sentiment) & (np.abs(signals.embeddings).sum(1) > 0)
        if known.sum() < 20:
            return None
        model = Ridge(alpha=1.0).fit(signals.embeddings[known], signals.sentiment[known])
        return model.predict(signals.embeddings).astype(np.float32)

    def _fit_blend(self, held_in: pd.DataFrame, held_out: pd.DataFrame) -> dict[str, float]:
        """Logistic regression over each training shopper's candidates: the item they chose next against the
        others the signals put forward (the competition the blend has to win at serving time)."""
        histories = held_in.groupby("user_id", sort=False)
        x, y, missed = [], [], 0
        for row in held_out.itertuples(index=False):
            history = histories.get_group(row.user_id)
            z = self._features(history["item_id"].tolist(), history["ts"].tolist(), as_of=row.ts)
            candidates = self._candidates(z)
            labels = candidates == self.index_[row.item_id]
            if not labels.any():
                missed += 1
                continue
            x.append(np.stack([z[f][candidates] for f in FEATURES], 1))
            y.append(labels)
        log.info("blend: next choice among the candidates for %d of %d shoppers", len(x), len(x) + missed)
        if not x:
            raise ValueError("no training shopper's next choice was among the candidates: nothing to learn from")
        model = LogisticRegression(C=1.0, max_iter=1000).fit(np.concatenate(x), np.concatenate(y))
        weights = dict(zip(FEATURES, model.coef_[0].round(4).tolist(), strict=True))
        log.info("blend weights: %s", weights)
        return weights

    def _candidates(self, z: dict[str, np.ndarray]) -> np.ndarray:
        """The union of each signal's top items: the pool the blend ranks (all items in a small catalog). A large
        catalog's pool was drawn from the indexes by _features, which also computed the features over it."""
        if POOL in z:
            return z[POOL]
        n = self.config_.candidates
        if len(self.index_) <= n:
            return np.arange(len(self.index_))
        tops = [np.argpartition(-z[f], n)[:n] for f in CANDIDATE_SIGNALS if z[f].any()]
        return np.unique(np.concatenate(tops))

    # --- scoring -------------------------------------------------------------------------------------
    def _features(self, history: Sequence[str], times: Sequence[pd.Timestamp] | None = None,
                  as_of: pd.Timestamp | None = None, profile: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Every signal as a vector over the catalog, z-scored for this shopper. ``as_of``: the date of the
        visit (trends are counted in the 90 days before it); default the last history date. A large catalog
        computes and z-scores them over its candidate pool only (0 elsewhere) and passes the pool on in z[POOL]."""
        idx = np.array([self.index_[i] for i in history], dtype=np.int64)
        row = sp.csr_matrix((np.ones(len(idx), np.float32), (np.zeros(len(idx), int), idx)), (1, len(self.index_)))
        row.sum_duplicates()
        profile = self._profile(idx, times) if profile is None else profile
        user_factor = np.asarray(self.als_.recalculate_user(0, row)).ravel()
        neighbours = row @ self.knn_.similarity if len(idx) else None
        when = as_of if as_of is not None else max(times) if times else None
        pool, trend = slice(None), self.trend_
        if self.large_:  # each signal's top items from the indexes and precomputed lists, as _candidates would pick
            n = self.config_.candidates
            tops = [self.als_index_.search(user_factor, n)[0], self.top_popular_]
            tops += [self.trending_[np.argsort(-self.trending_counter_.at(when, d))[:n]] for d in (90, 28)]
            if profile is not None and self.content_index_ is not None:
                tops.append(self.content_index_.search(profile, n)[0])
            if neighbours is not None:
                tops.append(neighbours.indices[np.argsort(-neighbours.data)[:n]])
            pool = np.unique(np.concatenate(tops))
            pool = pool[pool >= 0]  # an approximate search pads with -1 when it finds fewer than n
            trend = copy.copy(self.trend_)
            trend.cumulative = self.trend_.cumulative[pool]  # the same counts, for the pool's rows only
        raw: dict[str, np.ndarray] = {}
        m = self.items_.embeddings[pool] @ profile if profile is not None else None
        s = np.nan_to_num(self.items_.sentiment[pool]) if self.items_.sentiment is not None else None
        t = self.appeal_[pool] if self.appeal_ is not None else None
        raw["m"], raw["s"], raw["t"] = m, s, t
        raw["m_s"] = m * s if m is not None and s is not None else None
        raw["m_t"] = m * t if m is not None and t is not None else None
        raw["als"] = self.als_.item_factors[pool] @ user_factor
        raw["knn"] = neighbours[:, pool].toarray().ravel() if neighbours is not None else None
        raw["pop"] = self.popularity_[pool]
        raw["trend"], raw["recent"] = trend.at(when, days=90), trend.at(when, days=28)
        # An item lacking a signal (no embedding, no comments) gets the average (z = 0) for it, not a raw 0.
        has = {"m": self.has_embedding_, "m_t": self.has_embedding_, "s": self.has_sentiment_}
        has = {name: None if mask is None else mask[pool] for name, mask in has.items()}
        has["m_s"] = None if has["s"] is None or has["m"] is None else has["m"] & has["s"]
        if not self.large_:
            return {name: _zscore(raw.get(name), len(self.index_), has.get(name)) for name in FEATURES}
        z = {name: np.zeros(len(self.index_), np.float32) for name in FEATURES}
        for name in FEATURES:
            z[name][pool] = _zscore(raw.get(name), len(pool), has.get(name))
        return {**z, POOL: pool}

    def profile(self, history: Sequence[str], times: Sequence[pd.Timestamp] | None = None) -> np.ndarray | None:
        """The shopper's profile h (unit vector in the encoder's space), or None without embeddings."""
        check_is_fitted(self, "weights_", msg=NOT_FITTED)
        return self._profile(np.array([self.index_[i] for i in history], dtype=np.int64), times)

    def _profile(self, idx: np.ndarray, times: Sequence[pd.Timestamp] | None) -> np.ndarray | None:
        if self.items_.embeddings is None:
            return None
        return recency_profile(self.items_.embeddings, idx, times, self.config_.recency_half_life_days)

    def recommend(self, history: Sequence[str], k: int = 10, times: Sequence[pd.Timestamp] | None = None,
                  as_of: pd.Timestamp | None = None, allowed: np.ndarray | None = None,
                  exclude_history: bool = True, profile: np.ndarray | None = None) -> list[Recommendation]:
        """Top-k items for a history of item ids (``times`` aligned with it, optional). ``as_of``: the visit's
        date. ``allowed``: a boolean mask over the catalog (filters). ``profile``: a unit vector in the encoder's
        space to use as h instead of the history's (e.g. a request's text embedding). Unknown ids: KeyError."""
        check_is_fitted(self, "weights_", msg=NOT_FITTED)
        history = list(history)
        unknown = [i for i in history if i not in self.index_]
        if unknown:
            raise KeyError(f"unknown item ids in the history: {unknown[:5]}")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        z = self._features(history, times, as_of, profile)
        total = np.full(len(self.index_), -np.inf)
        pool = self._candidates(z)
        total[pool] = sum(self.weights_[f] * z[f][pool] for f in FEATURES)
        if exclude_history and history:
            total[[self.index_[i] for i in history]] = -np.inf
        if allowed is not None:
            total = np.where(allowed, total, -np.inf)
        ranked = pool[np.argsort(-total[pool])]  # only the pool can score: no sort over the whole catalog
        top = ranked[np.isfinite(total[ranked])][:k]
        return [Recommendation(self.items_.ids[j], round(float(total[j]), 4), self._reasons(j, z, history))
                for j in top]

    def _reasons(self, j: int, z: dict[str, np.ndarray], history: list[str]) -> list[str]:
        """The two signals that lifted item j most, in words."""
        lifts = sorted(((self.weights_[f] * z[f][j], f) for f in FEATURES), reverse=True)
        return [text for lift, f in lifts[:3] if lift > 0 and (text := self._reason(f, j, history))][:2]

    def _reason(self, feature: str, j: int, history: list[str]) -> str | None:
        signals = self.items_
        if feature in {"m", "m_s", "m_t"} and history and signals.embeddings is not None:
            return looks_like_reason(signals, self.index_, history, j)
        if feature in {"s", "t"}:
            return review_reason(signals, j)
        if feature in {"als", "knn"} and history:
            sims = np.asarray(self.knn_.similarity[[self.index_[i] for i in history]][:, j].todense()).ravel()
            if sims.max() > 0:
                closest = history[int(np.argmax(sims))]
                return f"often chosen by shoppers who chose {item_name(signals, self.index_, closest)}"
            return "shoppers with a history like yours chose it"
        if feature in {"trend", "recent"}:
            return "trending: chosen often in the last weeks"
        if feature == "pop":
            return f"popular: chosen {int(np.expm1(self.popularity_[j]))} times"
        return None


class _TrendCounter:
    """Interactions per item in the days before a date, from weekly cumulative counts."""

    def __init__(self, frame: pd.DataFrame, index: dict[str, int]):
        weeks = ((frame["ts"] - frame["ts"].min()).dt.days // 7).to_numpy()
        self.start, self.n_weeks = frame["ts"].min(), int(weeks.max()) + 2
        counts = sp.csr_matrix((np.ones(len(weeks), np.float32), (frame["item_id"].map(index).to_numpy(), weeks)),
                               (len(index), self.n_weeks)).toarray()
        self.cumulative = np.cumsum(counts, 1)

    def at(self, when: pd.Timestamp | None, days: int) -> np.ndarray:
        week = self.n_weeks - 1 if when is None else int(np.clip((when - self.start).days // 7, 0, self.n_weeks - 1))
        before = week - days // 7
        recent = self.cumulative[:, week] - (self.cumulative[:, before] if before >= 0 else 0)
        return np.log1p(recent)


def item_name(items: ItemSignals, index: dict[str, int], item_id: str) -> str:
    return f"the {items.titles[index[item_id]]}" if items.titles else f"item {item_id}"


def looks_like_reason(items: ItemSignals, index: dict[str, int], history: list[str], j: int) -> str:
    """The history item most like item j, in words (items must have embeddings)."""
    sims = items.embeddings[[index[i] for i in history]] @ items.embeddings[j]
    return f"looks like {item_name(items, index, history[int(np.argmax(sims))])} in your history"


def review_reason(items: ItemSignals, j: int) -> str | None:
    """What item j's comments say, in words; None without comments."""
    if items.sentiment is None or np.isnan(items.sentiment[j]):
        return None
    count = int(items.comment_counts[j]) if items.comment_counts is not None else 0
    return f"reviews rate it {2.5 * (items.sentiment[j] + 1):.1f}/5 over {count} comments"


def recency_profile(embeddings: np.ndarray, idx: np.ndarray, times: Sequence[pd.Timestamp] | None,
                    half_life_days: float) -> np.ndarray | None:
    """h: the recency-weighted mean of the history's embeddings (a choice a half-life older counts half);
    None for an empty history or one whose embeddings cancel out."""
    if not len(idx):
        return None
    weights = np.ones(len(idx))
    if times:
        age = (max(times) - pd.Series(times)).dt.days.to_numpy()
        weights = 0.5 ** (age / half_life_days)
    profile = (embeddings[idx] * weights[:, None]).sum(0)
    norm = np.linalg.norm(profile)
    return profile / norm if norm > 0 else None


def _zscore(values: np.ndarray | None, n: int, has: np.ndarray | None = None) -> np.ndarray:
    """Standardised over the items that have the signal (``has``, default all); the others get 0."""
    if values is None:
        return np.zeros(n, np.float32)
    values = np.asarray(values, np.float32)
    known = values if has is None else values[has]
    std = known.std() if len(known) else 0.0
    z = (values - known.mean()) / std if std > 0 else np.zeros(n, np.float32)
    return z if has is None else np.where(has, z, 0).astype(np.float32)


def check_config(config: RecommenderConfig | None) -> RecommenderConfig:
    """The config ``fit`` uses: ``config`` itself, or the defaults for None."""
    if config is None:
        return RecommenderConfig()
    if not isinstance(config, RecommenderConfig):
        raise TypeError(f"config must be a RecommenderConfig or None, got {type(config).__name__}")
    return config


def check_items(items: ItemSignals) -> None:
    """Refuse item signals whose parts do not line up with ``items.ids`` (one row or value per item)."""
    if not isinstance(items, ItemSignals):
        raise TypeError(f"items must be an ItemSignals, got {type(items).__name__}")
    n = len(items.ids)
    if n == 0:
        raise ValueError("items has no ids: nothing to recommend")
    ids = pd.Series(items.ids)
    if ids.duplicated().any():
        raise ValueError(f"items.ids must be unique; repeated: {sorted(set(ids[ids.duplicated()]))[:5]}")
    if items.embeddings is not None and (np.ndim(items.embeddings) != 2 or len(items.embeddings) != n):
        raise ValueError(f"items.embeddings must have shape ({n}, d), one row per id; got {np.shape(items.embeddings)}")
    for name in ("sentiment", "comment_counts", "titles"):
        value = getattr(items, name)
        if value is not None and len(value) != n:
            raise ValueError(f"items.{name} must have one value per id ({n}); got {len(value)}")


def _check_interactions(frame: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    missing = {"user_id", "item_id", "ts"} - set(frame.columns)
    if missing:
        raise ValueError(f"interactions lack columns {sorted(missing)} (have {sorted(frame.columns)})")
    if frame.empty:
        raise ValueError("no interactions to learn from")
    out = frame[["user_id", "item_id", "ts"]].copy()
    out["user_id"], out["item_id"] = out["user_id"].astype(str), out["item_id"].astype(str)
    out["ts"] = pd.to_datetime(out["ts"], errors="coerce")
    if out["ts"].isna().any():
        raise ValueError(f"{int(out['ts'].isna().sum())} interactions have no readable ts")
    unknown = sorted(set(out["item_id"]) - set(ids))
    if unknown:
        raise KeyError(f"{len(unknown)} interacted items are not in the catalog, e.g. {unknown[:5]}")
    return out.reset_index(drop=True)


def _split_last(frame: pd.DataFrame, n_users: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(held-in, held-out): the last interaction of up to n_users shoppers with ≥ 3, and everything else."""
    counts = frame["user_id"].value_counts()
    eligible = counts.index[counts >= 3].to_numpy()
    if len(eligible) == 0:
        raise ValueError("no shopper has 3 or more interactions: nothing to learn the blend from")
    chosen = set(np.random.default_rng(seed).permutation(eligible)[:n_users])
    out = last_interactions(frame) & frame["user_id"].isin(chosen).to_numpy()
    return frame[~out], frame[out]
