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
"""

from .backends import Encoder, OpenClipEncoder, TorchEncoder
from .batch import recommend_batch
from .catalog import Catalog, Product, SearchHit, SearchResult, list_images, read_products
from .content import ContentRecommender
from .factory import create_encoder, list_encoders
from .filters import RequestError, check_request
from .holdout import hold_out_last, last_interactions
from .ingest import ID_PATTERN, StoreError, read_table
from .prompts import class_prototypes, garment_classifier
from .recommender import ItemSignals, Recommendation, Recommender, RecommenderConfig
from .sentiment import SentimentScorer, item_sentiment, load_sentiment
from .service import Recommendations, Shop
from .store import Store, default_db
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
    "Shop",
    "Store",
    "StoreError",
    "TorchEncoder",
    "TrendForecaster",
    "TrendRanking",
    "TrendScore",
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
    "plot_trends",
    "read_gtrends",
    "read_products",
    "read_sales_csv",
    "read_table",
    "recommend_batch",
]
