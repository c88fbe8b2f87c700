"""tryon: understanding what shoppers type, and drawing garments onto their photos.

parser = load_parser()                                   # trained adapters from the registry
result = parser("try the red leather jacket on me in M")  # intent, scored spans, normalised request
request = parse("any colour but orange, under $150")      # the Request alone, default parser cached
pipe = load_tryon()                                      # person + garment analysis, fit, compose (CPU)
out = pipe(person="me.jpg", garment="shirt.jpg", instruction="in burgundy")  # TryOnOutput: image + masks
"""

from __future__ import annotations

from functools import cache

from .garment import GARMENT_CATEGORIES, GarmentAnalyzer, GarmentError
from .inference import InstructionParserPipeline, ParseResult
from .pipeline import TryOnError, TryOnOutput, TryOnPipeline
from .request import Item, Request, build_request, find_negated
from .schema import BIO_LABELS, INTENTS, SLOTS, Entity


def load_parser(path: str | None = None, backend: str = "onnx") -> InstructionParserPipeline:
    """The instruction parser; ``path`` overrides the registry's weights (``atelier-parser``), ``backend`` is
    "onnx" (ONNX Runtime, exported once per set of weights into $ATELIER_CACHE) or "torch"."""
    return InstructionParserPipeline.from_pretrained(path, backend)


@cache
def _default_parser() -> InstructionParserPipeline:
    return load_parser()


def load_tryon(garment_weights: str | None = None) -> TryOnPipeline:
    """The CPU try-on pipeline; ``garment_weights`` overrides the registry's U2-Net-p (``u2netp``)."""
    return TryOnPipeline.from_pretrained(garment_weights)


def parse(text: str) -> Request:
    """Understand one request with the default parser: ``tryon.parse(text) -> Request``."""
    return _default_parser()(text).request


__all__ = [
    "BIO_LABELS",
    "GARMENT_CATEGORIES",
    "INTENTS",
    "SLOTS",
    "TryOnError",
    "TryOnOutput",
    "TryOnPipeline",
    "Entity",
    "GarmentAnalyzer",
    "GarmentError",
    "InstructionParserPipeline",
    "Item",
    "ParseResult",
    "Request",
    "build_request",
    "find_negated",
    "load_parser",
    "load_tryon",
    "parse",
]
