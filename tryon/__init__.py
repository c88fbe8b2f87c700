"""tryon: understanding what shoppers type, and drawing garments onto their photos.

parser = load_parser()                                   # trained adapters from the registry
result = parser("try the red leather jacket on me in M")  # intent, scored spans, normalised request
ask = ask_from(result)                                   # the request the engines take: garment, colour, size, ...
choice = choose_garment(ask, wearables)                  # the garment the words name, and how it differs
pipe = load_tryon(parser=parser, classifier=recsys.garment_classifier(encoder))  # person + garment, fit, compose
out = pipe(person="me.jpg", garment="shirt.jpg", ask=ask)  # TryOnOutput: image + masks

Importing ``tryon`` is cheap: each name imports its module on first use, so the vocabulary and ``Ask`` load without
the try-on's image stack or torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from atelier_io import lazy_exports

if TYPE_CHECKING:
    from .ask import Ask, ask_from
    from .choose import Choice, GarmentChoiceError, Wearable, choose_garment, read_wearables
    from .garment import GARMENT_CATEGORIES, GarmentAnalyzer, GarmentError
    from .inference import InstructionParserPipeline, ParseResult, check_text
    from .pipeline import GARMENT_CATEGORY, GarmentClassifier, Parser, TryOn, TryOnError, TryOnOutput, TryOnPipeline
    from .request import Item, Request, build_request, find_negated
    from .schema import BIO_LABELS, INTENTS, SLOTS, Entity
    from .styles import STYLES, Style, canonical_style, get_style, style_named
    from .tokens import WordPieceTokenizer, load_tokenizer
    from .vocab import COLOUR_RGB, Price, canonical_colour, canonical_garment, normalise

__getattr__ = lazy_exports(__name__, {
    ".ask": ["Ask", "ask_from"],
    ".choose": ["Choice", "GarmentChoiceError", "Wearable", "choose_garment", "read_wearables"],
    ".garment": ["GARMENT_CATEGORIES", "GarmentAnalyzer", "GarmentError"],
    ".inference": ["InstructionParserPipeline", "ParseResult", "check_text"],
    ".pipeline": ["GARMENT_CATEGORY", "GarmentClassifier", "Parser", "TryOn", "TryOnError", "TryOnOutput",
                  "TryOnPipeline"],
    ".request": ["Item", "Request", "build_request", "find_negated"],
    ".schema": ["BIO_LABELS", "INTENTS", "SLOTS", "Entity"],
    ".styles": ["STYLES", "Style", "canonical_style", "get_style", "style_named"],
    ".tokens": ["WordPieceTokenizer", "load_tokenizer"],
    ".vocab": ["COLOUR_RGB", "Price", "canonical_colour", "canonical_garment", "normalise"],
})


def load_parser(path: str | None = None, backend: str = "onnx") -> InstructionParserPipeline:
    """The instruction parser; ``path`` overrides the registry's weights (``atelier-parser``), ``backend`` is
    "onnx" (ONNX Runtime, exported once per set of weights into $ATELIER_CACHE) or "torch"."""
    from .inference import InstructionParserPipeline

    return InstructionParserPipeline.from_pretrained(path, backend)


def load_tryon(garment_weights: str | None = None, parser: Parser | None = None,
               classifier: GarmentClassifier | None = None) -> TryOnPipeline:
    """The CPU try-on pipeline; ``garment_weights`` overrides the registry's U2-Net-p (``u2netp``). ``parser``
    reads instructions given as text; ``classifier`` names a garment photo's category when nothing else does."""
    from .pipeline import TryOnPipeline

    return TryOnPipeline.from_pretrained(garment_weights, parser, classifier)


__all__ = [
    "COLOUR_RGB",
    "WordPieceTokenizer",
    "load_tokenizer",
    "GARMENT_CATEGORY",
    "BIO_LABELS",
    "GARMENT_CATEGORIES",
    "INTENTS",
    "SLOTS",
    "STYLES",
    "Style",
    "Ask",
    "Choice",
    "GarmentChoiceError",
    "Wearable",
    "choose_garment",
    "read_wearables",
    "GarmentClassifier",
    "Parser",
    "Price",
    "TryOn",
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
    "ask_from",
    "build_request",
    "canonical_colour",
    "canonical_garment",
    "check_text",
    "canonical_style",
    "find_negated",
    "get_style",
    "load_parser",
    "load_tryon",
    "normalise",
    "style_named",
]
