"""The try-on pipeline: a garment product photo drawn onto a shopper's photo, on a CPU, in about a second.

    pipe = TryOnPipeline.from_pretrained(parser=load_parser(), classifier=recsys.garment_classifier(encoder))
    out = pipe(person="me.jpg", garment="shirt.jpg", instruction="in burgundy, size L")   # parsed by the parser
    out = pipe(person="me.jpg", garment="shirt.jpg", ask=ask)                            # already parsed
    out.image.save("me_in_shirt.png")

``__call__`` reads top to bottom: check inputs → read the request → analyse the person → analyse the
garment → read what the person wears (and refuse what cannot be drawn believably) → redraw the worn garment as
the new one (tryon.redraw). The parser and the garment classifier are components handed in (diffusers' way); the
pipeline never builds a model of its own. Every step is timed; every refusal is a ``TryOnError`` (a ``ValueError``)
whose message names the problem. Photos are processed in memory and never written.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from PIL import Image

from atelier_io import ImageError, downscale, load_image

from .ask import Ask, ask_from
from .choose import FAMILY_CATEGORY
from .garment import GARMENT_CATEGORIES, Garment, GarmentAnalyzer, GarmentError
from .inference import ParseResult
from .parsing import parse_clothing
from .person import PersonAnalyzer, PersonError
from .redraw import SLEEVE_LENGTH, redraw, refusal, worn_refusal
from .sizes import letter_size
from .vocab import GARMENT_FAMILY

# Processing size: photos larger than this on their long side are scaled down first (the documented
# preprocess); 1024 is VITON-HD's height and keeps a try-on near a second on two cores.
MAX_SIDE = 1024
MIN_SIDE = 128
GARMENT_CACHE = 32  # analysed product photos kept in memory (about 3 MB each at 768x1024)
# Every garment the parser knows that the try-on can draw, with the category it is drawn as: the classes a garment
# classifier chooses among (recsys.garment_classifier builds one from the encoder).
GARMENT_CATEGORY = {g: FAMILY_CATEGORY[family] for g, family in GARMENT_FAMILY.items() if family in FAMILY_CATEGORY}


class Parser(Protocol):
    """Text in, a parse out: ``tryon.InstructionParserPipeline`` (``load_parser()``)."""

    def __call__(self, text: str) -> ParseResult: ...


class TryOn(Protocol):
    """A person photo and a garment photo in, the try-on out: ``TryOnPipeline`` (``load_tryon()``)."""

    def __call__(self, person, garment, category: str | None = None, ask: Ask | None = None,
                 instruction: str | None = None, size: str | None = None,
                 sleeves: str | None = None) -> TryOnOutput: ...


class GarmentClassifier(Protocol):
    """A garment product photo in, its try-on category out ("upper", "lower" or "dress")."""

    def __call__(self, image: Image.Image) -> str: ...


class TryOnError(ValueError):
    """A try-on request cannot be served; the message names the input and the problem."""


@dataclass
class TryOnOutput:
    """The try-on and everything used to make it (for a debug view)."""

    image: Image.Image
    category: str
    size: str | None
    colour: str | None
    person_mask: np.ndarray  # HxW float32
    garment_mask: np.ndarray  # HxW float32: the fitted garment on the person's canvas
    removed_mask: np.ndarray  # HxW bool: old clothing painted out
    front_mask: np.ndarray  # HxW bool: head, hands and arms drawn over the garment
    landmarks: dict[str, tuple[float, float]]  # the person's named body points (image side)
    garment_keypoints: dict[str, tuple[float, float]]  # in the garment's cut-out crop
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step

    def debug_image(self) -> Image.Image:
        """The result beside an overlay: garment outline (green), painted-out clothing (red), parts kept in
        front (blue), body points (yellow)."""
        image = np.asarray(self.image).copy()
        overlay = image.copy()
        overlay[self.removed_mask] = (0.5 * overlay[self.removed_mask] + (127, 0, 0)).astype(np.uint8)
        overlay[self.front_mask] = (0.5 * overlay[self.front_mask] + (0, 0, 127)).astype(np.uint8)
        edges = cv2.Canny((self.garment_mask > 0.5).astype(np.uint8) * 255, 50, 150) > 0
        overlay[cv2.dilate(edges.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0] = (0, 220, 0)
        for x, y in self.landmarks.values():
            cv2.circle(overlay, (int(x), int(y)), 5, (255, 220, 0), -1)
        return Image.fromarray(np.hstack([image, overlay]))


class TryOnPipeline:
    def __init__(self, persons: PersonAnalyzer, garments: GarmentAnalyzer, parser: Parser | None = None,
                 classifier: GarmentClassifier | None = None) -> None:
        self.persons = persons
        self.garments = garments
        self.parser = parser  # reads ``instruction`` text; without one, give an ``ask`` (or nothing)
        self.classifier = classifier  # the category of a garment photo when neither ``category`` nor the ask says
        self._garment_cache: dict[tuple[str, str], Garment] = {}  # insertion order = least recently used first

    @classmethod
    def from_pretrained(cls, garment_weights: str | None = None, parser: Parser | None = None,
                        classifier: GarmentClassifier | None = None) -> TryOnPipeline:
        return cls(PersonAnalyzer.from_pretrained(), GarmentAnalyzer.from_pretrained(garment_weights), parser,
                   classifier)

    def __call__(
        self,
        person,
        garment,
        category: str | None = None,
        ask: Ask | None = None,
        instruction: str | None = None,
        size: str | None = None,
        sleeves: str | None = None,
    ) -> TryOnOutput:
        """``sleeves`` ("none", "short", "long"): the product's sleeve length when the shop knows it (its catalog
        listing); otherwise it is measured from the photo, which a tie or a wrap can fool."""
        timings: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(step: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[step] = now - clock
            clock = now

        # 1. Check inputs: decode, strip metadata, bound the size.
        person_rgb = self.check_image(person, "person")
        garment_image = Image.fromarray(self.check_image(garment, "garment"))
        lap("load")
        # 2. Read the request: category, size and colour the shopper asked for.
        ask = self.check_ask(ask, instruction)
        category = self.check_category(category) or self.category_of(ask)
        size_letter = self.check_size(size, "size") or self.size_of(ask)
        if sleeves is not None and sleeves not in SLEEVE_LENGTH:
            raise TryOnError(f"sleeves must be one of {', '.join(SLEEVE_LENGTH)}; got {sleeves!r}")
        lap("instruction")
        # 3. Refuse a garment photo that shows a person (a model wearing it, or a selfie given as garment).
        key = hashlib.sha1(garment_image.tobytes()).hexdigest()
        seen = any(known == key for known, _ in self._garment_cache)
        if not seen and self.persons.shows_person(np.asarray(garment_image)):
            raise TryOnError(
                "garment: the photo shows a person; use a product photo of the garment alone "
                "(flat lay or on a ghost mannequin)"
            )
        category = category or self.guess_category(garment_image)
        lap("garment_check")
        # 4. Analyse the person: landmarks, person mask, skin, head, hands.
        try:
            body = self.persons(person_rgb, category)
        except PersonError as err:
            raise TryOnError(f"person: {err}") from err
        lap("person")
        # 5. Read what the person wears, and refuse a pairing that cannot be drawn believably: what needs only
        # the photo (and the sleeves a catalog lists) first, before the garment's photo is cut out.
        clothing = parse_clothing(body)
        why = worn_refusal(clothing, category, sleeves)
        if why:
            raise TryOnError(why)
        lap("parse")
        # 6. Analyse the garment: cut-out and key points (once per product photo and category).
        cloth = self.analyse_garment(garment_image, category, key)
        if sleeves is not None:
            cloth = replace(cloth, sleeves=SLEEVE_LENGTH[sleeves])
        why = refusal(body, cloth, clothing, category)
        if why:
            raise TryOnError(why)
        lap("garment")
        # 7. Redraw the person's own garment region as the new garment, shaded by the old one's folds.
        image, region = redraw(body, clothing, cloth, category, tuple(ask.colour.rgb) if ask.colour else None)
        lap("render")
        timings["total"] = sum(timings.values())
        return TryOnOutput(
            image=Image.fromarray(image),
            category=category,
            size=size_letter,
            colour=ask.colour.name if ask.colour else None,
            person_mask=body.mask,
            garment_mask=region.astype(np.float32),
            removed_mask=region,
            front_mask=body.head | body.hands | clothing.hair,
            landmarks={name: (float(x), float(y)) for name, (x, y) in body.points.items()},
            garment_keypoints={name: (float(x), float(y)) for name, (x, y) in cloth.keypoints.items()},
            timings=timings,
        )

    def analyse_garment(self, image: Image.Image, category: str, key: str) -> Garment:
        """Cut-out and key points, kept for the last GARMENT_CACHE product photos: a shop's garments are
        tried on again and again, shoppers' photos never are (and are never kept)."""
        cached = self._garment_cache.pop((key, category), None)
        if cached is None:
            try:
                cached = self.garments(image, category)
            except GarmentError as err:
                raise TryOnError(f"garment: {err}") from err
        self._garment_cache[(key, category)] = cached
        while len(self._garment_cache) > GARMENT_CACHE:
            self._garment_cache.pop(next(iter(self._garment_cache)))
        return cached

    @staticmethod
    def check_image(source, name: str) -> np.ndarray:
        """Decode with atelier_io.load_image (metadata dropped, EXIF rotation applied, bombs refused), then
        scale to at most MAX_SIDE on the long side."""
        if not isinstance(source, str | Path | bytes | bytearray | Image.Image | np.ndarray):
            raise TryOnError(f"{name}: expected a path, bytes, PIL image or array, got {type(source).__name__}")
        try:
            image = Image.fromarray(_as_uint8_rgb(source, name)) if isinstance(source, np.ndarray) else source
            image = load_image(image)
        except ImageError as err:
            raise TryOnError(f"{name}: {err}") from err
        if min(image.size) < MIN_SIDE:
            raise TryOnError(f"{name}: {image.size[0]}x{image.size[1]} is too small; at least {MIN_SIDE} px a side")
        return np.asarray(downscale(image, MAX_SIDE))

    @staticmethod
    def check_category(category: str | None) -> str | None:
        if category is not None and category not in GARMENT_CATEGORIES:
            raise TryOnError(f"category must be one of {', '.join(GARMENT_CATEGORIES)}; got {category!r}")
        return category

    @staticmethod
    def check_size(size: str | None, name: str) -> str | None:
        if size is None:
            return None
        from .vocab import normalise_size

        parsed = normalise_size(str(size))
        letter = letter_size(parsed.system, parsed.value) if parsed else None
        if letter is None:
            raise TryOnError(f"{name}: {size!r} is not a clothing size this try-on knows (XXS-4XL, EU 32-46, UK, US)")
        return letter

    def check_ask(self, ask: Ask | None, instruction: str | None) -> Ask:
        """The request, given parsed (``ask``) or as words for the pipeline's parser (``instruction``)."""
        if ask is not None and instruction is not None:
            raise TryOnError("give ask (a parsed request) or instruction (its words), not both")
        if instruction is None or not instruction.strip():
            return ask or Ask()
        if self.parser is None:
            raise TryOnError("instruction: this pipeline has no parser; build it with parser=load_parser(), or "
                             "give ask=ask_from(parse)")
        return ask_from(self.parser(instruction))

    @staticmethod
    def size_of(ask: Ask) -> str | None:
        """The request's size as a letter the fit scales by; a size the try-on cannot draw is refused."""
        if ask.size is None:
            return None
        letter = letter_size(ask.size.system, ask.size.value)
        if letter is None:
            raise TryOnError(f"size: {ask.size_label!r} is not a clothing size this try-on knows (XXS-4XL, EU 32-46, "
                             "UK, US)")
        return letter

    @staticmethod
    def category_of(ask: Ask) -> str | None:
        if ask.family is None:
            return None
        if ask.family not in FAMILY_CATEGORY:
            raise TryOnError(f"instruction: try-on draws tops, bottoms and dresses; {ask.garment!r} is {ask.family}")
        return FAMILY_CATEGORY[ask.family]

    def guess_category(self, garment: Image.Image) -> str:
        """The category of a garment photo, from the classifier handed in."""
        if self.classifier is None:
            raise TryOnError("category: say what the garment is (category=upper, lower or dress), name it in the "
                             "request, or build the pipeline with a garment classifier")
        return self.classifier(garment)


def _as_uint8_rgb(array: np.ndarray, name: str) -> np.ndarray:
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise TryOnError(f"{name}: an array must be uint8 HxW, HxWx3 or HxWx4; got {array.dtype} {array.shape}")
    return array
