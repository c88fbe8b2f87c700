"""Prompt templates for zero-shot classification and the attribute captions used in training.

Zero-shot classes are text prototypes: the mean of a label's prompt embeddings over a template
ensemble (as in CLIP). Training uses the same ensembles, so a label the catalog never used still gets a
sensible prototype from MiniLM's understanding of its words.
"""

from __future__ import annotations

import re

import numpy as np

TYPE_TEMPLATES = (
    "a photo of a {}",
    "a product photo of a {}",
    "a {} on a white background",
    "{}",
)
COLOUR_TEMPLATES = (
    "a photo of a {} garment",
    "a {} coloured product",
    "something in {}",
    "{} colour",
)
USAGE_TEMPLATES = (
    "a photo of {} wear",
    "a product for {} occasions",
    "{} style",
)
CATEGORY_TEMPLATES = {"type": TYPE_TEMPLATES, "colour": COLOUR_TEMPLATES, "usage": USAGE_TEMPLATES}

# Catalog labels written as shoppers would say them; anything else is lower-cased and de-camel-cased.
_PHRASES = {
    "tshirts": "t-shirt",
    "tops": "top",
    "innerwear vests": "vest undershirt",
    "lounge tshirts": "lounge t-shirt",
    "nightdress": "night dress",
    "lip care": "lip balm",
    "free gifts": "free gift",
    "navy blue": "navy blue",
    "off white": "off-white",
    "smart casual": "smart casual",
}


def label_phrase(label: str) -> str:
    """'Tshirts' → 't-shirt', 'Casual Shoes' → 'casual shoes', 'NavyBlue' → 'navy blue'."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(label)).strip().lower()
    return _PHRASES.get(text, text)


def prompts_for(labels: list[str], templates: tuple[str, ...]) -> list[str]:
    """All prompts, label-major: labels[0] × templates, labels[1] × templates, …"""
    return [template.format(label_phrase(label)) for label in labels for template in templates]


def class_prototypes(encoder, labels: list[str], templates: tuple[str, ...] = TYPE_TEMPLATES) -> np.ndarray:
    """[classes, d]: each label's mean prompt embedding over the template ensemble, re-normalised."""
    per_prompt = encoder.encode_texts(prompts_for(labels, templates)).reshape(len(labels), len(templates), -1)
    mean = per_prompt.mean(1)
    return mean / np.linalg.norm(mean, axis=1, keepdims=True)


class GarmentClassifier:
    """Zero-shot garment category (tryon's ``GarmentClassifier``): the encoder's image embedding against every
    garment the parser knows (t-shirt, jeans, maxi dress, ...); the closest one's category wins. The encoder is
    handed in, open_clip's ``build_zero_shot_classifier(model, ...)`` way."""

    def __init__(self, encoder, categories: dict[str, str]):
        self.encoder = encoder
        self.categories = categories
        self._prototypes: np.ndarray | None = None  # built on the first photo: hundreds of prompts, not at start-up

    def __call__(self, image) -> str:
        if self._prototypes is None:
            self._prototypes = class_prototypes(self.encoder, list(self.categories))
        embedding = self.encoder.encode_images([image])[0]
        return list(self.categories.values())[int(np.argmax(self._prototypes @ embedding))]


def garment_classifier(encoder) -> GarmentClassifier:
    """The try-on's garment classifier over ``encoder``: ``load_tryon(classifier=garment_classifier(encoder))``."""
    from tryon import GARMENT_CATEGORY

    return GarmentClassifier(encoder, GARMENT_CATEGORY)


def attribute_caption(
    colour: str | None, article_type: str | None, gender: str | None = None, usage: str | None = None
) -> str:
    """A short attribute caption such as "a photo of a red dress for women, casual"."""
    words = [label_phrase(w) for w in (colour, article_type) if w]
    caption = "a photo of a " + " ".join(words) if words else "a product photo"
    if gender:
        caption += f" for {label_phrase(gender)}"
    if usage:
        caption += f", {label_phrase(usage)}"
    return caption
