"""recsys: Atelier's dual encoder (image + text embeddings in one space), catalog search and recommendations.

    encoder = create_encoder()                      # atelier-fashion on ONNX Runtime
    vectors = encoder.encode_images(["shirt.jpg"])  # float32 [n, d], L2-normalised
    catalog = Catalog.from_folder("ui/demo_catalog", encoder)
    catalog.search(tryon.ask_from(parser("red floral dress")), k=10)   # SearchResult: the request's filters bind
    store = Store("atelier.db")                     # the recommender's database: items, reviews, interactions
    load_sentiment().score(["Love it!"])           # comment sentiment in [-1, 1] (atelier-sentiment, else VADER)
    Shop.from_store(store, encoder).for_user("u42") # Recommendations: items with reasons (Recommender underneath)
    recommend_batch(train, users, k=10)             # leave-last-out for shoppers absent from train
    class_prototypes(encoder, ["dress", "jeans"])  # zero-shot classes: mean prompt embeddings [n, d]
    TrendForecaster().fit(train, gtrends).predict(new)  # 12 weekly sales of new products (VISUELLE columns)
    attribute_trends(gtrends, "2019-09", top=10)    # colours, fabrics, categories by Google Trends momentum
    shop_trends(store, top=5)                       # colours, categories, materials, styles by the shop's own momentum

Importing ``recsys`` is cheap: each name imports its module on first use, so ``from recsys import Store`` loads the
store without torch, scikit-learn or the encoders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from atelier_io import lazy_exports

if TYPE_CHECKING:
    from .backends import Encoder, OpenClipEncoder, TorchEncoder
    from .batch import recommend_batch
    from .catalog import Catalog, Product, SearchHit, SearchResult, list_images, read_products
    from .content import ContentRecommender
    from .database import StoreUnavailable, default_db, open_database
    from .factory import create_encoder, list_encoders
    from .filters import RequestError, check_request
    from .holdout import hold_out_last, last_interactions
    from .ingest import ID_PATTERN, StoreError, read_table
    from .interaction_trends import TREND_KINDS, ShopTrends, ValueTrend, plot_shop_trends, shop_trends
    from .prompts import class_prototypes, garment_classifier
    from .recommender import ItemSignals, Recommendation, Recommender, RecommenderConfig
    from .sentiment import SentimentScorer, item_sentiment, load_sentiment
    from .service import Recommendations, Shop
    from .store import Store
    from .trends import (
        TrendForecaster,
        TrendRanking,
        TrendScore,
        attribute_trends,
        default_gtrends_path,
        forecast_files,
        plot_trends,
        read_gtrends,
    )
    from .trends import read_products_csv as read_sales_csv

__getattr__ = lazy_exports(__name__, {
    ".backends": ["Encoder", "OpenClipEncoder", "TorchEncoder"],
    ".batch": ["recommend_batch"],
    ".catalog": ["Catalog", "Product", "SearchHit", "SearchResult", "list_images", "read_products"],
    ".content": ["ContentRecommender"],
    ".factory": ["create_encoder", "list_encoders"],
    ".filters": ["RequestError", "check_request"],
    ".holdout": ["hold_out_last", "last_interactions"],
    ".ingest": ["ID_PATTERN", "StoreError", "read_table"],
    ".interaction_trends": ["TREND_KINDS", "ShopTrends", "ValueTrend", "plot_shop_trends", "shop_trends"],
    ".prompts": ["class_prototypes", "garment_classifier"],
    ".recommender": ["ItemSignals", "Recommendation", "Recommender", "RecommenderConfig"],
    ".sentiment": ["SentimentScorer", "item_sentiment", "load_sentiment"],
    ".service": ["Recommendations", "Shop"],
    ".database": ["StoreUnavailable", "default_db", "open_database"],
    ".store": ["Store"],
    ".trends": ["TrendForecaster", "TrendRanking", "TrendScore", "attribute_trends", "default_gtrends_path",
                "forecast_files", "plot_trends", "read_gtrends", "read_products_csv as read_sales_csv"],
})

__all__ = [
    "ID_PATTERN",
    "Catalog",
    "ContentRecommender",
    "Encoder",
    "ItemSignals",
    "OpenClipEncoder",
    "Product",
    "Recommendation",
    "Recommender",
    "RecommenderConfig",
    "Recommendations",
    "RequestError",
    "SearchHit",
    "SearchResult",
    "SentimentScorer",
    "ShopTrends",
    "Shop",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "TREND_KINDS",
    "TorchEncoder",
    "TrendForecaster",
    "TrendRanking",
    "TrendScore",
    "ValueTrend",
    "attribute_trends",
    "check_request",
    "class_prototypes",
    "garment_classifier",
    "hold_out_last",
    "last_interactions",
    "list_images",
    "create_encoder",
    "default_db",
    "default_gtrends_path",
    "forecast_files",
    "item_sentiment",
    "list_encoders",
    "load_sentiment",
    "open_database",
    "plot_shop_trends",
    "plot_trends",
    "read_gtrends",
    "read_products",
    "read_sales_csv",
    "read_table",
    "recommend_batch",
    "shop_trends",
]
