"""The recommender over a store: what ``atelier recommend`` and the app call.

    shop = Shop.from_store(Store("shop.db"), create_encoder())
    shop.for_user("u42", k=10)                    # their history in the store
    shop.for_history(["item-1", "item-7"], k=10)  # any list of item ids
    shop.for_ask(ask_from(parser("a red dress for a wedding, not black")), k=10)   # filters + text profile

Each answer is a ``Recommendations``: the items, best first, and a message when the request could not be met as
asked (``filters.select`` relaxed a condition, or nothing is close). Each item's reasons are specific: what of the
request it meets ("matches your request: red heels, 45 (under 50)"), its reviews ("4.6★ from 212 comments"),
then the model's own (the history item it looks like, what it is often chosen with, ...).

A store too young to learn from (no shopper with 3 interactions) is served by ``ContentRecommender``.
Item signals come from the store: embeddings (computed once and cached by ``Store.embed_items``), comment
sentiment (every review scored by the sentiment model, smoothed per item), interactions for the
collaborative part and for learning the blend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tryon import STYLES, Ask, get_style

from .content import ContentRecommender
from .filters import ItemFacts, describe, request_reason, select
from .recommender import ItemSignals, Recommendation, Recommender, RecommenderConfig, review_reason
from .sentiment import item_sentiment, load_sentiment
from .store import Store


@dataclass
class Recommendations:
    """The shop's answer: items best first, with their reasons, and a message when the request could not be met
    as asked ("no red shoes under 50; the cheapest red shoes are 55") or needs a word of warning."""

    items: list[Recommendation]
    message: str | None = None


@dataclass
class Shop:
    store: Store
    items: pd.DataFrame
    model: Recommender | ContentRecommender
    signals: ItemSignals  # what the model was fitted on, aligned with ``items``
    facts: ItemFacts  # each item's garment, colours, price and sizes, for the request filters
    reviews: dict[str, str]  # item id -> "4.6★ from 212 comments", for items whose reviews carry ratings
    encoder: object | None = None
    rows: dict[str, int] = field(init=False, repr=False)  # item id -> its row in ``items``, ``signals``, ``facts``
    _styles: tuple[object, dict[str, np.ndarray]] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.rows = {item_id: j for j, item_id in enumerate(self.signals.ids)}

    @classmethod
    def from_store(cls, store: Store, encoder=None, sentiment=None,
                   config: RecommenderConfig | None = None) -> Shop:
        items = store.items()
        if items.empty:
            raise ValueError("the store has no items: run `atelier ingest --items FILE` first")
        ids = items["id"].tolist()
        signals = ItemSignals(ids, titles=items["title"].tolist(),
                              categories=[c if isinstance(c, str) else "" for c in items["category"]])
        if encoder is not None:
            store.embed_items(encoder)
            signals.embeddings = _aligned(ids, *store.embeddings(encoder.name))
        reviews, said = store.reviews(), {}
        if not reviews.empty:
            scored = reviews.assign(sentiment=(sentiment or load_sentiment()).score(reviews["text"].tolist()))
            table = item_sentiment(scored)
            signals.sentiment = table["sentiment"].reindex(ids).to_numpy(np.float32)
            signals.comment_counts = table["n_reviews"].reindex(ids).fillna(0).to_numpy()
            said = review_summaries(reviews)
        interactions = store.interactions()
        if can_learn_blend(interactions):
            model = Recommender(config).fit(interactions, signals)
        else:  # a new shop: the design's m(h, y)·p(y) alone until shoppers have histories to learn from
            model = ContentRecommender(config).fit(signals)
        return cls(store, items, model, signals, ItemFacts.read(items), said, encoder)

    def for_user(self, user_id: str, k: int = 10) -> Recommendations:
        history = self.store.interactions(user_id)  # KeyError naming an unknown user
        return self._explained(self.model.recommend(history["item_id"].tolist(), k, history["ts"].tolist()))

    def style_of_user(self, user_id: str) -> dict[str, float]:
        """The user's style vector: how their history leans across the named styles (see ``style_leaning``)."""
        history = self.store.interactions(user_id)
        profile = self.model.profile(history["item_id"].tolist(), history["ts"].tolist())
        if profile is None or self.encoder is None:
            raise ValueError(f"user {user_id!r}: no embedded items in their history (or no encoder), no style to read")
        return style_leaning(profile, self.style_vectors())

    def for_history(self, item_ids: Sequence[str], k: int = 10) -> Recommendations:
        repeated = sorted({i for i in item_ids if list(item_ids).count(i) > 1})
        if repeated:
            raise ValueError(f"duplicate item ids in the history: {repeated[:5]}")
        return self._explained(self.model.recommend(list(item_ids), k))

    def for_ask(self, ask: Ask, k: int = 10, history: Sequence[str] = (), like: str | None = None) -> Recommendations:
        """A shopper's request, parsed once by the caller (``tryon.ask_from``).

        1. ``filters.select``: its garment, colours, exclusions, budget and size as hard filters; a request with
           no fashion in it, a contradiction or an impossible budget is a ``filters.RequestError``.
        2. Its words, embedded by the encoder's text tower, are the profile h that m(h, y) compares items with: the
           style leaning and whatever else the words say count there, softly. ``like``: words to use instead when
           the request has none of its own (the garment a shopper is trying on).
        3. The model ranks the allowed items; each reason says what of the request the item meets."""
        chosen = select(self.facts, ask)
        recs = self.model.recommend(list(history), k, allowed=chosen.allowed, profile=self._profile(ask, like))
        message = chosen.message or (None if recs else f"nothing left to recommend among {describe(ask)}")
        return self._explained(recs, ask, message)

    def style_vectors(self) -> dict[str, np.ndarray]:
        """Each named style's description (``style_text``) embedded by the shop's encoder, once per encoder: they
        are fixed texts, which every request naming a style would otherwise embed again."""
        cached = self._styles  # read once: a concurrent first call may replace it (with the same vectors)
        if cached is None or cached[0] is not self.encoder:
            cached = self._styles = (self.encoder, embed_styles(self.encoder))
        return cached[1]

    def _profile(self, ask: Ask, like: str | None) -> np.ndarray | None:
        """h for a request: its words (or ``like``), pulled towards the named style's description when it names
        one, so that the style leans the ranking without filtering anything out."""
        words = ask.text or like
        if self.encoder is None or not (words or ask.style):
            return None
        vectors = [self.encoder.encode_texts([words])[0]] if words else []
        if ask.style:
            vectors.append(self.style_vectors()[get_style(ask.style).name])
        profile = np.mean(vectors, axis=0)
        return profile / np.linalg.norm(profile)

    def _explained(self, recs: list[Recommendation], ask: Ask | None = None,
                   message: str | None = None) -> Recommendations:
        """The shop's specific reasons first (what of the request the item meets, its reviews), then the model's.
        The model's own review reason gives way to the review summary, which says the same in stars."""
        out = []
        for rec in recs:
            j = self.rows[rec.item_id]
            from_comments = review_reason(self.signals, j)  # their tone as stars, when the reviews carry no rating
            ours = [request_reason(self.facts, j, ask) if ask is not None else None,
                    self.reviews.get(rec.item_id, from_comments)]
            theirs = [r for r in rec.reasons if r != from_comments]  # said once, above
            out.append(Recommendation(rec.item_id, rec.score, [r for r in ours if r] + theirs))
        return Recommendations(out, message)


def review_summaries(reviews: pd.DataFrame) -> dict[str, str]:
    """Per item whose reviews carry star ratings: "4.6★ from 212 comments", the mean rating read on the store's
    scale (out of 10 when any rating is above 5, else out of 5) over all its comments. Items reviewed without
    ratings are summed up by ``review_reason``, from the comments' sentiment."""
    ratings = pd.to_numeric(reviews["rating"], errors="coerce") if "rating" in reviews else None
    if ratings is None or ratings.isna().all():
        return {}
    scale = 10 if ratings.max() > 5 else 5
    stars = (ratings * 5 / scale).groupby(reviews["item_id"]).mean().dropna()
    counts = reviews.groupby("item_id").size()
    return {item_id: f"{value:.1f}★ from {counts[item_id]} comment{'s' * (counts[item_id] != 1)}"
            for item_id, value in stars.items()}


def can_learn_blend(interactions: pd.DataFrame) -> bool:
    """Whether ``Recommender.fit`` has what it learns its blend from: a shopper with 3 or more interactions."""
    return not interactions.empty and bool((interactions["user_id"].value_counts() >= 3).any())


def embed_styles(encoder) -> dict[str, np.ndarray]:
    """Each named style (tryon.STYLES) -> its description (``style_text``) embedded by the encoder's text tower."""
    names = [s.name for s in STYLES]
    return dict(zip(names, encoder.encode_texts([style_text(name) for name in names]), strict=True))


def style_leaning(profile: np.ndarray, styles: dict[str, np.ndarray], temperature: float = 0.05) -> dict[str, float]:
    """How a profile leans across the named styles: a softmax over its cosine with each style's embedded description
    (``embed_styles``). Sums to 1; the largest share is the style it leans to."""
    names = list(styles)
    logits = np.stack([styles[name] for name in names]) @ profile / temperature
    shares = np.exp(logits - logits.max())
    shares /= shares.sum()
    return dict(sorted(zip(names, shares.round(4).tolist(), strict=True), key=lambda kv: -kv[1]))


def style_text(name: str) -> str:
    """What the text tower reads for a named style: its name and description."""
    return f"{name} fashion: {get_style(name).description}"


def _aligned(ids: list[str], stored_ids: list[str], matrix: np.ndarray) -> np.ndarray:
    """Embeddings in ``ids`` order; a zero row for an item without one (the recommender treats it as missing)."""
    out = np.zeros((len(ids), matrix.shape[1]), np.float32)
    row = {item_id: i for i, item_id in enumerate(stored_ids)}
    for i, item_id in enumerate(ids):
        if item_id in row:
            out[i] = matrix[row[item_id]]
    return out
