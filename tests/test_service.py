"""The recommender over a real store: signals from stored items, reviews and interactions; user, history and
text requests; unknown ids and duplicates refused."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from test_recommender import clustered_shop

from recsys import Store
from recsys.recommender import RecommenderConfig
from recsys.sentiment import VaderSentiment
from recsys.service import Shop
from tryon import Ask, ask_from

COLOURS = ("red", "black", "blue", "green")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    frame, signals = clustered_shop(users=120, items=40)
    cluster = [int(i[1:]) % 4 for i in signals.ids]
    kinds = ["dress" if c < 2 else "jeans" for c in cluster]
    titles = [f"{COLOURS[c]} {kind}" for c, kind in zip(cluster, kinds, strict=True)]
    items = pd.DataFrame({"id": signals.ids, "title": titles,
                          "colour": [COLOURS[c] for c in cluster], "category": kinds,
                          "price": [20 + 5 * int(i[1:]) for i in signals.ids]})
    reviews = pd.DataFrame({"item_id": ["i0", "i0", "i1"], "text": ["Love it, perfect fit", "Gorgeous", "Awful, tore"]})
    store = Store(tmp_path_factory.mktemp("shop") / "shop.db")
    store.ingest(items=items, reviews=reviews, interactions=frame)
    config = RecommenderConfig(factors=8, iterations=5, fusion_users=100, candidates=100)
    return Shop.from_store(store, sentiment=VaderSentiment(), config=config)


def test_for_user_uses_their_stored_history(shop):
    history = set(shop.store.interactions("u0")["item_id"])
    recs = shop.for_user("u0", k=5).items
    assert len(recs) == 5 and not history & {r.item_id for r in recs}


@pytest.fixture(scope="module")
def parser():
    from tryon import load_parser

    return load_parser()


def test_for_ask_applies_the_parsed_filters(shop, parser):
    recs = shop.for_ask(ask_from(parser("red dress under $100, not black")), k=10).items
    titles = dict(zip(shop.items["id"], shop.items["title"], strict=True))
    prices = dict(zip(shop.items["id"], shop.items["price"], strict=True))
    assert recs and all(titles[r.item_id] == "red dress" and prices[r.item_id] <= 100 for r in recs)


def test_comments_reach_the_item_signals(shop):
    signals = shop.model.items_
    by_id = dict(zip(signals.ids, signals.sentiment, strict=True))
    assert by_id["i0"] > by_id["i1"]


def test_unknown_and_duplicate_ids_are_refused(shop):
    with pytest.raises(KeyError, match="nobody"):
        shop.for_user("nobody")
    with pytest.raises(ValueError, match="duplicate"):
        shop.for_history(["i1", "i1"])
    with pytest.raises(KeyError, match="zzz"):
        shop.for_history(["zzz"])


def test_style_leaning_is_a_distribution_that_finds_a_plain_style(default_encoder):
    from recsys.service import embed_styles, style_leaning
    from tryon import STYLES

    profile = default_encoder.encode_texts(["streetwear fashion: oversized hoodies, sneakers and graphic tees"])[0]
    shares = style_leaning(profile, embed_styles(default_encoder))
    assert set(shares) == {s.name for s in STYLES} and abs(sum(shares.values()) - 1) < 1e-3
    assert next(iter(shares)) == "streetwear"


def test_text_profile_and_style_with_the_real_encoder(shop, default_encoder, parser):
    config = RecommenderConfig(factors=8, iterations=5, fusion_users=100, candidates=100)
    encoded = Shop.from_store(shop.store, default_encoder, sentiment=VaderSentiment(), config=config)
    recs = encoded.for_ask(ask_from(parser("a blue jeans")), k=3).items
    titles = dict(zip(encoded.items["id"], encoded.items["title"], strict=True))
    assert recs and all(titles[r.item_id].endswith("jeans") for r in recs)
    assert abs(sum(encoded.style_of_user("u0").values()) - 1) < 1e-3


class CountingEncoder:
    """A text tower that counts the texts it embeds (a seeded random vector per text, the same text alike)."""

    def __init__(self, name: str = "counting"):
        self.name, self.texts = name, []

    def encode_texts(self, texts, batch_size: int = 64):
        self.texts += list(texts)
        vectors = np.stack([np.random.default_rng(sum(map(ord, t))).normal(size=8) for t in texts])
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_style_descriptions_are_embedded_once_per_encoder(shop):
    from recsys.service import style_text

    styled = replace(shop, encoder=CountingEncoder())
    ask = Ask(text="a dress", style="vintage")
    first, again = styled._profile(ask, None), styled._profile(ask, None)
    # One batch of every style's description, then only the request's own words, each time.
    assert styled.encoder.texts.count(style_text("vintage")) == 1 and styled.encoder.texts.count("a dress") == 2
    expected = styled.encoder.encode_texts(["a dress", style_text("vintage")]).mean(0)
    np.testing.assert_allclose(first, expected / np.linalg.norm(expected), rtol=1e-6)
    np.testing.assert_array_equal(first, again)
    styled.encoder = CountingEncoder("another")  # another text tower: its own vectors, never the old one's
    styled._profile(ask, None)
    assert styled.encoder.texts.count(style_text("vintage")) == 1
