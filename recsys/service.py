"""The recommender over a store: what ``atelier recommend`` and the app call.

    shop = Shop.from_store(Store("shop.db"), create_encoder())
    shop.for_user("u42", k=10)                    # their history in the store
    shop.for_history(["item-1", "item-7"], k=10)  # any list of item ids
    shop.for_ask(ask_from(parser("a red dress for a wedding, not black")), k=10)   # filters + text profile

A store too young to learn from (no shopper with 3 interactions) is served by ``ContentRecommender``.
Item signals come from the store: embeddings (computed once and cached by ``Store.embed_items``), comment
sentiment (every review scored by the sentiment model, smoothed per item), interactions for the
collaborative part and for learning the blend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tryon import STYLES, Ask

from .content import ContentRecommender
from .filters import allowed_items
from .recommender import ItemSignals, Recommendation, Recommender, RecommenderConfig
from .sentiment import item_sentiment, load_sentiment
from .store import Store


@dataclass
class Shop:
    store: Store
    items: pd.DataFrame
    model: Recommender | ContentRecommender
    encoder: object | None = None

    @classmethod
    def from_store(cls, store: Store, encoder=None, sentiment=None,
                   config: RecommenderConfig | None = None) -> Shop:
        items = store.items()
        if items.empty:
            raise ValueError("the store has no items: run `atelier ingest --items FILE` first")
        ids = items["id"].tolist()
        signals = ItemSignals(ids, titles=items["title"].tolist())
        if encoder is not None:
            store.embed_items(encoder)
            signals.embeddings = _aligned(ids, *store.embeddings(encoder.name))
        reviews = store.reviews()
        if not reviews.empty:
            scored = reviews.assign(sentiment=(sentiment or load_sentiment()).score(reviews["text"].tolist()))
            table = item_sentiment(scored)
            signals.sentiment = table["sentiment"].reindex(ids).to_numpy(np.float32)
            signals.comment_counts = table["n_reviews"].reindex(ids).fillna(0).to_numpy()
        interactions = store.interactions()
        if can_learn_blend(interactions):
            model = Recommender(config).fit(interactions, signals)
        else:  # a new shop: the design's m(h, y)·p(y) alone until shoppers have histories to learn from
            model = ContentRecommender(config).fit(signals)
        return cls(store, items, model, encoder)

    def for_user(self, user_id: str, k: int = 10) -> list[Recommendation]:
        history = self.store.interactions(user_id)  # KeyError naming an unknown user
        return self.model.recommend(history["item_id"].tolist(), k, history["ts"].tolist())

    def style_of_user(self, user_id: str) -> dict[str, float]:
        """The user's style vector: how their history leans across the named styles (see ``style_leaning``)."""
        history = self.store.interactions(user_id)
        profile = self.model.profile(history["item_id"].tolist(), history["ts"].tolist())
        if profile is None or self.encoder is None:
            raise ValueError(f"user {user_id!r}: no embedded items in their history (or no encoder), no style to read")
        return style_leaning(profile, self.encoder)

    def for_history(self, item_ids: Sequence[str], k: int = 10) -> list[Recommendation]:
        repeated = sorted({i for i in item_ids if list(item_ids).count(i) > 1})
        if repeated:
            raise ValueError(f"duplicate item ids in the history: {repeated[:5]}")
        return self.model.recommend(list(item_ids), k)

    def for_ask(self, ask: Ask, k: int = 10, history: Sequence[str] = ()) -> list[Recommendation]:
        """A shopper's request, parsed once by the caller (``tryon.ask_from``): its garment / colour / size /
        budget filters, and its words embedded by the encoder's text tower as the profile h that m(h, y)
        compares items with (when the shop has an encoder)."""
        allowed = allowed_items(self.items, ask)
        profile = self.encoder.encode_texts([ask.text])[0] if self.encoder is not None and ask.text else None
        return self.model.recommend(list(history), k, allowed=allowed, profile=profile)


def can_learn_blend(interactions: pd.DataFrame) -> bool:
    """Whether ``Recommender.fit`` has what it learns its blend from: a shopper with 3 or more interactions."""
    return not interactions.empty and bool((interactions["user_id"].value_counts() >= 3).any())


def style_leaning(profile: np.ndarray, encoder, temperature: float = 0.05) -> dict[str, float]:
    """How a profile leans across the named styles (tryon.STYLES): a softmax over its cosine with each style's
    description embedded by the encoder's text tower. Sums to 1; the largest share is the style it leans to."""
    names = [s.name for s in STYLES]
    texts = [f"{s.name} fashion: {s.description}" for s in STYLES]
    logits = encoder.encode_texts(texts) @ profile / temperature
    shares = np.exp(logits - logits.max())
    shares /= shares.sum()
    return dict(sorted(zip(names, shares.round(4).tolist(), strict=True), key=lambda kv: -kv[1]))


def _aligned(ids: list[str], stored_ids: list[str], matrix: np.ndarray) -> np.ndarray:
    """Embeddings in ``ids`` order; a zero row for an item without one (the recommender treats it as missing)."""
    out = np.zeros((len(ids), matrix.shape[1]), np.float32)
    row = {item_id: i for i, item_id in enumerate(stored_ids)}
    for i, item_id in enumerate(ids):
        if item_id in row:
            out[i] = matrix[row[item_id]]
    return out
