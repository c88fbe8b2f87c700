"""recsys: Atelier's dual encoder (image + text embeddings in one space) and catalog search.

    encoder = create_encoder()                      # atelier-fashion on ONNX Runtime
    vectors = encoder.encode_images(["shirt.jpg"])  # float32 [n, d], L2-normalised
    catalog = Catalog.from_folder("ui/demo_catalog", encoder)
    catalog.search("red floral dress", k=10)
    store = Store("atelier.db")                     # the recommender's database: items, reviews, interactions
    load_sentiment().score(["Love it!"])           # comment sentiment in [-1, 1] (atelier-sentiment, else VADER)
"""

from .backends import OpenClipEncoder, TorchEncoder
from .catalog import Catalog, Product, SearchHit, read_products
from .factory import create_encoder, list_encoders
from .images import ImageError, load_image
from .sentiment import SentimentScorer, item_sentiment, load_sentiment
from .store import Store, StoreError, default_db, read_table

__all__ = [
    "Catalog",
    "ImageError",
    "OpenClipEncoder",
    "Product",
    "SearchHit",
    "SentimentScorer",
    "Store",
    "StoreError",
    "TorchEncoder",
    "create_encoder",
    "default_db",
    "item_sentiment",
    "list_encoders",
    "load_image",
    "load_sentiment",
    "read_products",
    "read_table",
]
