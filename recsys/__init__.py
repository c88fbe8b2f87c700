"""recsys: Atelier's dual encoder (image + text embeddings in one space) and catalog search.

    encoder = create_encoder()                      # atelier-fashion on ONNX Runtime
    vectors = encoder.encode_images(["shirt.jpg"])  # float32 [n, d], L2-normalised
    catalog = Catalog.from_folder("ui/demo_catalog", encoder)
    catalog.search("red floral dress", k=10)
    store = Store("atelier.db")                     # the recommender's database: items, reviews, interactions
"""

from .backends import OpenClipEncoder, TorchEncoder
from .catalog import Catalog, Product, SearchHit, read_products
from .factory import create_encoder, list_encoders
from .images import ImageError, load_image
from .store import Store, StoreError, default_db, read_table

__all__ = [
    "Catalog",
    "ImageError",
    "OpenClipEncoder",
    "Product",
    "SearchHit",
    "Store",
    "StoreError",
    "TorchEncoder",
    "create_encoder",
    "default_db",
    "list_encoders",
    "load_image",
    "read_products",
    "read_table",
]
