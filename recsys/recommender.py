"""The recommender: comment sentiment × visual features over the shopper's history, plus collaborative and
seasonal signals, ranked by a model learned on shoppers' real next choices.

For a shopper with history h, a visit date and every candidate item y it reads these features:

    m(h, y)        cosine between the shopper's profile (recency-weighted mean of their history's embeddings) and y
    s(y), t(y)     what comments say about y (Bayesian-smoothed sentiment or rating), and what y's embedding
                   predicts about it (ridge regression, for items without comments); p(y) = w_s·s + w_t·t
    m_s, m_t       m·s and m·t: the design's m(h, y)·p(y), with w_s and w_t left to the ranker
    als, knn, co   collaborative: implicit ALS (history folded in), item-kNN cosine, and co-rentals (items others
                   took within 60 days of the history's picks, recent picks weighing more)
    pop, week, month, quarter, year
                   interactions of y before the visit, all time and in the last 7 / 28 / 91 / 364 days
    age            weeks since y was first chosen; category: the share of the history in y's category
    history, gap   how long the history is and how many days since its last pick

Candidates are each signal's top items (every item in a small catalog); a logistic regression over the
standardised features, fitted on the training shoppers' own next choices against their other candidates
(leave-last-out by date, ``recsys.holdout``), orders them. Nothing is hand-set. A signal an item lacks (no image,
no comments, never chosen) is imputed and flagged as missing. Each recommendation's reasons are the features that
raised its score most (coefficient × standardised value), said in words.

Why linear: on RentTheRunway a LightGBM lambdarank ranker over the same candidates and features overfit the ~1,400
training shoppers whose next choice is among the candidates (NDCG@10 0.025 on 1,000 unseen shoppers against 0.035
for this model; binary LightGBM 0.029-0.034; a one-off comparison on 2026-12-03).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from .holdout import last_interactions
from .index import VectorIndex
from .signals import RentalCounts, co_rentals, co_score

log = logging.getLogger(__name__)
WINDOWS = {"week": 7, "month": 28, "quarter": 91, "year": 364}  # days before the visit
FEATURES = ("m", "s", "t", "m_s", "m_t", "als", "knn", "co", "pop", *WINDOWS, "age", "category", "history", "gap")
COLUMN = {name: i for i, name in enumerate(FEATURES)}
CANDIDATE_SIGNALS = ("m", "als", "knn", "co", "pop", "week", "month", "quarter", "year")
# What each feature says about an item when it lifts its score (see Recommender._reason).
REASON_KIND = {"m": "looks", "m_s": "looks", "m_t": "looks", "s": "reviews", "t": "reviews", "als": "together",
               "knn": "together", "co": "together", "pop": "popular", "year": "popular", "week": "rising",
               "month": "rising", "quarter": "rising", "age": "new", "category": "category"}
# From this many items on, a request no longer scores every item: each signal's top items come from an index or a
# precomputed list, and the features are computed over their union only (bench/recommender_scale.py).
LARGE_CATALOG = 50_000
FILTERED_POOL = 5_000  # a request whose filters allow at most this many items has them all scored
NOT_FITTED = "This %(name)s is not fitted yet: call its fit method before recommend or profile."


@dataclass
class RecommenderConfig:
    factors: int = 32  # ALS; 32 / 1.0 / 5 won a small grid on RentTheRunway training shoppers (bench/)
    regularization: float = 1.0
    alpha: float = 5.0  # ALS confidence per interaction
    iterations: int = 15
    knn_neighbours: int = 100
    co_rental_days: int = 60  # two picks this close by one shopper count as rented together
    recency_half_life_days: float = 180.0  # the profile h weights a rental 180 days older half as much
    fusion_users: int = 4000  # training shoppers whose held-out last interaction teaches the ranker
    candidates: int = 100  # each signal puts forward its top items; the ranker orders their union
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
    categories: list[str] | None = None  # e.g. "dress", "gown"; None or "" where unknown


@dataclass
class _Visit:
    """One request's pool of items (catalog rows) and their features, one row per pool item."""

    pool: np.ndarray
    x: np.ndarray  # (len(pool), len(FEATURES)) float32, NaN where a signal is missing
    history: np.ndarray  # catalog rows of the history


class Recommender(BaseEstimator):
    """``fit`` on interactions (+ item signals), then ``recommend`` for a history of item ids.

    A scikit-learn style estimator: ``__init__`` only stores ``config`` (None: ``RecommenderConfig()``'s defaults,
    resolved in ``fit``). What ``fit`` learns ends in ``_``: ``config_``, ``items_`` (the ItemSignals), ``index_``
    (item id -> row), ``ranker_`` (imputer → scaler → logistic regression), ``users_``, ``user_items_``, ``als_``,
    ``knn_``, ``co_``, ``popularity_``, ``counts_``, ``appeal_`` (t(y), or None), ``category_`` (codes, or None),
    ``large_`` (candidate-pool serving) and, for a large catalog, ``content_index_``, ``als_index_``,
    ``top_popular_``, ``trending_``, ``trending_counts_``.
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
        self.category_ = _category_codes(items.categories)
        self.large_ = len(self.index_) >= LARGE_CATALOG
        self.content_index_ = None  # large catalogs: built once here, the embeddings do not change within fit
        if self.large_ and items.embeddings is not None:
            self.content_index_ = VectorIndex(items.embeddings, seed=self.config_.seed)
        held_in, held_out = _split_last(frame, self.config_.fusion_users, self.config_.seed)
        log.info("learning the ranker on %d training shoppers' next choices", len(held_out))
        self._fit_components(held_in)
        ranker = self._fit_ranker(held_in, held_out)
        self._fit_components(frame)  # serve with every interaction
        self.ranker_ = ranker  # set last: its presence means fit completed
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
        self.co_ = co_rentals(frame, self.index_, cfg.co_rental_days)
        self.popularity_ = np.log1p(np.asarray(matrix.sum(0)).ravel())
        self.counts_ = RentalCounts(frame, self.index_)
        self.appeal_ = self._fit_appeal()
        if not self.large_:
            return
        # Large catalog: what _visit needs to draw candidates without scoring every item (content_index_: fit).
        self.als_index_ = VectorIndex(self.als_.item_factors, normalised=False, seed=cfg.seed)
        kth = min(cfg.candidates, len(self.index_) - 1)  # argpartition's kth must lie inside the catalog
        self.top_popular_ = np.argpartition(-self.popularity_, kth)[:cfg.candidates]
        # The items among the most chosen of some week's windows hold the seasonal candidates of any visit date:
        # counting over their rows alone finds them per request without counting over the whole catalog.
        weeks = [self.counts_.start + pd.Timedelta(weeks=w) for w in range(self.counts_.n_weeks)]
        tops = [np.argpartition(-self.counts_.window(when, days), kth)[:cfg.candidates]
                for when in weeks for days in WINDOWS.values()]
        self.trending_ = np.unique(np.concatenate(tops))
        self.trending_counts_ = self.counts_.rows(self.trending_)

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

    def _fit_ranker(self, held_in: pd.DataFrame, held_out: pd.DataFrame) -> Pipeline:
        """A logistic regression over each training shopper's candidates: the item they chose next against the
        others the signals put forward (the competition the ranker has to win at serving time). Missing
        signals are imputed and flagged, every feature standardised."""
        histories = held_in.groupby("user_id", sort=False)
        x, y = [], []
        for row in held_out.itertuples(index=False):
            history = histories.get_group(row.user_id)
            visit = self._visit(history["item_id"].tolist(), history["ts"].tolist(), as_of=row.ts)
            chosen = self._candidates(visit, ~np.isin(visit.pool, visit.history))
            labels = visit.pool[chosen] == self.index_[row.item_id]
            if labels.any():
                x.append(visit.x[chosen])
                y.append(labels)
        log.info("ranker: next choice among the candidates for %d of %d shoppers", len(x), len(held_out))
        if not x:
            raise ValueError("no training shopper's next choice was among the candidates: nothing to learn from")
        ranker = make_pipeline(SimpleImputer(add_indicator=True, keep_empty_features=True), StandardScaler(),
                               LogisticRegression(C=1.0, max_iter=2000))
        return ranker.fit(np.concatenate(x), np.concatenate(y))

    def _candidates(self, visit: _Visit, keep: np.ndarray) -> np.ndarray:
        """Positions in the visit's pool: the union of each signal's top items among those ``keep`` allows (all of
        them when that is no more than ``config.candidates``)."""
        eligible = np.flatnonzero(keep)
        n = self.config_.candidates
        if len(eligible) <= n:
            return eligible
        tops = []
        for name in CANDIDATE_SIGNALS:
            values = visit.x[eligible, COLUMN[name]]
            if np.isnan(values).all() or np.nanmax(values) == np.nanmin(values):
                continue  # absent or flat for this shopper (e.g. no history): it would pick arbitrary items
            tops.append(eligible[np.argpartition(-np.nan_to_num(values, nan=-np.inf), n)[:n]])
        return np.unique(np.concatenate(tops)) if tops else eligible[:n]

    # --- scoring -------------------------------------------------------------------------------------
    def _visit(self, history: Sequence[str], times: Sequence[pd.Timestamp] | None = None,
               as_of: pd.Timestamp | None = None, profile: np.ndarray | None = None,
               include: np.ndarray | None = None) -> _Visit:
        """Every feature for the pool of items this visit can be offered: the whole catalog when it is small,
        else the union of each signal's top items from the indexes and precomputed lists. ``as_of``: the visit's
        date (default the last history date); counts are read from before it only. ``include``: catalog rows a large
        catalog's pool must hold besides (the few items a request's filters allow)."""
        idx = np.array([self.index_[i] for i in history], dtype=np.int64)
        row = sp.csr_matrix((np.ones(len(idx), np.float32), (np.zeros(len(idx), int), idx)), (1, len(self.index_)))
        row.sum_duplicates()
        when = as_of if as_of is not None else max(times) if times else None
        ages = (when - pd.Series(times)).dt.days.to_numpy(float) if times and when is not None else np.zeros(len(idx))
        profile = self._profile(idx, times) if profile is None else profile
        user_factor = np.asarray(self.als_.recalculate_user(0, row)).ravel()
        neighbours = row @ self.knn_.similarity if len(idx) else None
        co = co_score(self.co_, idx, ages) if len(idx) else None
        pool = np.arange(len(self.index_))
        if self.large_:
            pool = self._pool(user_factor, profile, neighbours, co, when)
            pool = pool if include is None else np.union1d(pool, include)
        counts = self.counts_.rows(pool) if self.large_ else self.counts_
        n = len(pool)
        x = np.full((n, len(FEATURES)), np.nan, np.float32)
        if profile is not None and self.items_.embeddings is not None:  # a request's words need item embeddings
            embeddings = self.items_.embeddings[pool]  # one gather: at 100k items this is the request's pool
            has = np.abs(embeddings).sum(1) > 0
            x[has, COLUMN["m"]] = embeddings[has] @ profile
        if self.items_.sentiment is not None:
            x[:, COLUMN["s"]] = self.items_.sentiment[pool]
        if self.appeal_ is not None:
            x[:, COLUMN["t"]] = self.appeal_[pool]
        x[:, COLUMN["m_s"]] = x[:, COLUMN["m"]] * x[:, COLUMN["s"]]
        x[:, COLUMN["m_t"]] = x[:, COLUMN["m"]] * x[:, COLUMN["t"]]
        x[:, COLUMN["als"]] = self.als_.item_factors[pool] @ user_factor
        if neighbours is not None:
            x[:, COLUMN["knn"]] = neighbours[:, pool].toarray().ravel()
            x[:, COLUMN["co"]] = co[:, pool].toarray().ravel()
        x[:, COLUMN["pop"]] = counts.window(when, None)
        for name, days in WINDOWS.items():
            x[:, COLUMN[name]] = counts.window(when, days)
        x[:, COLUMN["age"]] = counts.age_weeks(when)
        if self.category_ is not None and len(idx):
            x[:, COLUMN["category"]] = _category_share(self.category_, idx)[pool]
        x[:, COLUMN["history"]] = len(idx)
        x[:, COLUMN["gap"]] = ages.min() if len(ages) else np.nan
        return _Visit(pool, x, idx)

    def _pool(self, user_factor: np.ndarray, profile: np.ndarray | None, neighbours: sp.csr_matrix | None,
              co: sp.csr_matrix | None, when: pd.Timestamp | None) -> np.ndarray:
        """A large catalog's pool: each candidate signal's top items, from the indexes and precomputed lists."""
        n = self.config_.candidates
        tops = [self.als_index_.search(user_factor, n)[0], self.top_popular_]
        tops += [self.trending_[np.argsort(-self.trending_counts_.window(when, days))[:n]] for days in WINDOWS.values()]
        if profile is not None and self.content_index_ is not None:
            tops.append(self.content_index_.search(profile, n)[0])
        for scores in (neighbours, co):
            if scores is not None:
                tops.append(scores.indices[np.argsort(-scores.data)[:n]])
        pool = np.unique(np.concatenate(tops))
        return pool[pool >= 0]  # an approximate search pads with -1 when it finds fewer than n

    def profile(self, history: Sequence[str], times: Sequence[pd.Timestamp] | None = None) -> np.ndarray | None:
        """The shopper's profile h (unit vector in the encoder's space), or None without embeddings."""
        check_is_fitted(self, "ranker_", msg=NOT_FITTED)
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
        check_is_fitted(self, "ranker_", msg=NOT_FITTED)
        history = list(history)
        unknown = [i for i in history if i not in self.index_]
        if unknown:
            raise KeyError(f"unknown item ids in the history: {unknown[:5]}")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        allowed = None if allowed is None else np.asarray(allowed, dtype=bool)
        include = None  # a narrow filter in a large catalog: its items may all lie outside the signals' top lists
        if self.large_ and allowed is not None and allowed.sum() <= FILTERED_POOL:
            include = np.flatnonzero(allowed)
        visit = self._visit(history, times, as_of, profile, include)
        keep = np.ones(len(visit.pool), dtype=bool)
        if exclude_history and history:
            keep &= ~np.isin(visit.pool, visit.history)
        if allowed is not None:
            keep &= allowed[visit.pool]
        chosen = self._candidates(visit, keep)
        if not len(chosen):
            return []
        scores = self.ranker_.decision_function(visit.x[chosen])
        top = chosen[np.argsort(-scores, kind="stable")[:k]]
        rows = visit.history  # which history pick each recommendation is most often chosen with
        together = (self.co_[rows][:, visit.pool[top]] + self.knn_.similarity[rows][:, visit.pool[top]]).toarray()
        by_pool = dict(zip(chosen.tolist(), scores.tolist(), strict=True))
        return [Recommendation(self.items_.ids[visit.pool[at]], round(by_pool[at], 4),
                               self._reasons(visit, at, lifts, history, together[:, rank]))
                for rank, (at, lifts) in enumerate(zip(top, self._lifts(visit.x[top]), strict=True))]

    def _lifts(self, x: np.ndarray) -> np.ndarray:
        """Each feature's share of the ranker's score, per row: coefficient × standardised value."""
        imputer, scaler, model = (step for _, step in self.ranker_.steps)
        return (scaler.transform(imputer.transform(x)) * model.coef_[0])[:, :len(FEATURES)]

    def _reasons(self, visit: _Visit, at: int, lifts: np.ndarray, history: list[str],
                 together: np.ndarray) -> list[str]:
        """The two kinds of evidence that raised this item's score most, in words (pool position ``at``)."""
        by_kind: dict[str, float] = {}
        for name, lift in zip(FEATURES, lifts, strict=True):
            if name in REASON_KIND and not np.isnan(visit.x[at, COLUMN[name]]):
                by_kind[REASON_KIND[name]] = by_kind.get(REASON_KIND[name], 0.0) + float(lift)
        ranked = sorted(((lift, kind) for kind, lift in by_kind.items() if lift > 0), reverse=True)
        texts = (self._reason(kind, visit, at, history, together) for _, kind in ranked)
        return [text for text in texts if text][:2]

    def _reason(self, kind: str, visit: _Visit, at: int, history: list[str], together: np.ndarray) -> str | None:
        j, x, signals = int(visit.pool[at]), visit.x[at], self.items_
        if kind == "looks" and history and signals.embeddings is not None:
            return looks_like_reason(signals, self.index_, history, j)
        if kind == "reviews":
            return review_reason(signals, j)
        if kind == "together" and history and together.max() > 0:
            return f"often chosen with {item_name(signals, self.index_, history[int(np.argmax(together))])}"
        if kind == "rising" and (recent := int(round(np.expm1(x[COLUMN["month"]])))) > 0:
            quarter = np.expm1(x[COLUMN["quarter"]])  # 13 weeks: rising when the last 4 beat their share of it
            lead = "rising" if recent > quarter * 4 / 13 else "in demand"
            return f"{lead}: chosen {recent} times in the last 4 weeks"
        if kind == "popular" and (total := int(round(np.expm1(x[COLUMN["pop"]])))) > 0:
            return f"popular: chosen {total} times"
        if kind == "new" and x[COLUMN["age"]] <= 13:
            return f"new this season: first chosen {int(x[COLUMN['age']])} weeks ago"
        if kind == "category" and x[COLUMN["category"]] > 0:
            return f"a {signals.categories[j]}, like {x[COLUMN['category']]:.0%} of your picks"
        return None


def _category_codes(categories: list[str] | None) -> np.ndarray | None:
    """Integer codes per item (-1 where unknown), or None when no item has a category."""
    if categories is None:
        return None
    codes, names = pd.factorize(pd.Series(categories, dtype=object).replace("", None), use_na_sentinel=True)
    return codes if len(names) else None


def _category_share(codes: np.ndarray, history: np.ndarray) -> np.ndarray:
    """Per catalog item: the share of the history in its category (NaN where the item's category is unknown)."""
    picked = codes[history]
    share = np.bincount(picked[picked >= 0], minlength=codes.max() + 1) / len(history)
    return np.where(codes >= 0, share[codes], np.nan)


def item_name(items: ItemSignals, index: dict[str, int], item_id: str) -> str:
    return f"the {items.titles[index[item_id]]}" if items.titles else f"item {item_id}"


def looks_like_reason(items: ItemSignals, index: dict[str, int], history: list[str], j: int) -> str:
    """The history item most like item j, in words (items must have embeddings)."""
    sims = items.embeddings[[index[i] for i in history]] @ items.embeddings[j]
    return f"looks like {item_name(items, index, history[int(np.argmax(sims))])} in your history"


def review_reason(items: ItemSignals, j: int) -> str | None:
    """What item j's comments say, as stars and a count ("4.6★ from 212 comments"); None without comments."""
    if items.sentiment is None or np.isnan(items.sentiment[j]):
        return None
    count = int(items.comment_counts[j]) if items.comment_counts is not None else 0
    stars = f"{2 * (items.sentiment[j] + 1) + 1:.1f}★"  # sentiment -1..1 onto 1..5 stars
    return f"{stars} from {count} comment{'s' * (count != 1)}" if count else stars


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
    for name in ("sentiment", "comment_counts", "titles", "categories"):
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
