"""tryon: understanding what shoppers type (and, later, rendering garments onto their photos)."""

from .schema import BIO_LABELS, INTENTS, SLOTS, Entity

__all__ = ["BIO_LABELS", "INTENTS", "SLOTS", "Entity"]
