"""The try-on pipeline: a garment product photo drawn onto a shopper's photo, on a CPU, in about a second.

    pipe = TryOnPipeline.from_pretrained()
    out = pipe(person="me.jpg", garment="shirt.jpg", instruction="in burgundy, size L")
    out.image.save("me_in_shirt.png")

``__call__`` reads top to bottom: check inputs → read the instruction → analyse the person → analyse the
garment → fit it to the body → compose. Every step is timed; every refusal is a ``TryOnError`` (a
``ValueError``) whose message names the problem. Photos are processed in memory and never written.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from .compose import compose
from .fit import letter_size, plan, size_factors, warp
from .garment import GARMENT_CATEGORIES, Garment, GarmentAnalyzer, GarmentError
from .person import PersonAnalyzer, PersonError
from .vocab import GARMENT_FAMILY

# Processing size: photos larger than this on their long side are scaled down first (the documented
# preprocess); 1024 is VITON-HD's height and keeps a try-on near a second on two cores.
MAX_SIDE = 1024
MIN_SIDE = 128
GARMENT_CACHE = 32  # analysed product photos kept in memory (about 3 MB each at 768x1024)
# The instruction's garment family decides the category when none is given.
FAMILY_CATEGORY = {"top": "upper", "outerwear": "upper", "bottom": "lower", "dress": "dress", "one-piece": "dress"}
_GARMENT_CATEGORY = {g: FAMILY_CATEGORY[family] for g, family in GARMENT_FAMILY.items() if family in FAMILY_CATEGORY}


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


@dataclass
class _Ask:
    category: str | None = None
    size: str | None = None
    colour_name: str | None = None
    colour: tuple[int, int, int] | None = None


class TryOnPipeline:
    def __init__(self, persons: PersonAnalyzer, garments: GarmentAnalyzer, parser=None, encoder=None) -> None:
        self.persons = persons
        self.garments = garments
        self.parser = parser  # tryon's instruction parser; loaded on the first instruction when None
        self.encoder = encoder  # recsys encoder for the category; loaded when first needed
        self._garment_prototypes: np.ndarray | None = None  # encoder text prototypes of _GARMENT_CATEGORY
        self._garment_cache: dict[tuple[str, str], Garment] = {}  # insertion order = least recently used first

    @classmethod
    def from_pretrained(cls, garment_weights: str | None = None) -> TryOnPipeline:
        return cls(PersonAnalyzer.from_pretrained(), GarmentAnalyzer.from_pretrained(garment_weights))

    def __call__(
        self,
        person,
        garment,
        category: str | None = None,
        instruction: str | None = None,
        size: str | None = None,
        body_size: str | None = None,
    ) -> TryOnOutput:
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
        body_letter = self.check_size(body_size, "body_size")
        lap("load")
        # 2. Read the instruction: category, size and colour the shopper asked for.
        ask = self.read_instruction(instruction)
        category = self.check_category(category) or ask.category
        size_letter = self.check_size(size, "size") or ask.size
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
        # 5. Analyse the garment: cut-out and key points (once per product photo and category).
        cloth = self.analyse_garment(garment_image, category, key)
        lap("garment")
        # 6. Fit the garment to the body.
        parts = plan(cloth, body, size_factors(size_letter, body_letter))
        fitted = warp(cloth, parts, person_rgb.shape[:2])
        lap("fit")
        # 7. Compose: inpaint, shade, occlude, feather.
        composite = compose(body, fitted, category, ask.colour)
        lap("compose")
        timings["total"] = sum(timings.values())
        return TryOnOutput(
            image=Image.fromarray(composite.image),
            category=category,
            size=size_letter,
            colour=ask.colour_name,
            person_mask=body.mask,
            garment_mask=fitted.alpha,
            removed_mask=composite.removed,
            front_mask=composite.front,
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
        """Decode with recsys.load_image (metadata dropped, EXIF rotation applied, bombs refused), then
        scale to at most MAX_SIDE on the long side."""
        from recsys import ImageError, load_image

        if not isinstance(source, str | Path | bytes | bytearray | Image.Image | np.ndarray):
            raise TryOnError(f"{name}: expected a path, bytes, PIL image or array, got {type(source).__name__}")
        try:
            image = Image.fromarray(_as_uint8_rgb(source, name)) if isinstance(source, np.ndarray) else source
            image = load_image(image)
        except ImageError as err:
            raise TryOnError(f"{name}: {err}") from err
        if min(image.size) < MIN_SIDE:
            raise TryOnError(f"{name}: {image.size[0]}x{image.size[1]} is too small; at least {MIN_SIDE} px a side")
        if max(image.size) > MAX_SIDE:
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        return np.asarray(image)

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

    def read_instruction(self, instruction: str | None) -> _Ask:
        if instruction is None or not instruction.strip():
            return _Ask()
        if self.parser is None:
            from . import load_parser

            self.parser = load_parser()
        request = self.parser(instruction).request
        ask = _Ask()
        for item in request.items:
            if item.family and ask.category is None:
                if item.family not in FAMILY_CATEGORY:
                    raise TryOnError(
                        f"instruction: try-on draws tops, bottoms and dresses; {item.garment!r} is {item.family}"
                    )
                ask.category = FAMILY_CATEGORY[item.family]
            if item.size and ask.size is None:
                ask.size = letter_size(item.size.system, item.size.value)
            if item.colours and ask.colour is None:
                ask.colour_name, ask.colour = item.colours[0].name, tuple(item.colours[0].rgb)
        return ask

    def guess_category(self, garment: Image.Image) -> str:
        """Zero-shot with the recsys encoder over every garment the parser knows (t-shirt, jeans, maxi
        dress, ...): the family of the closest one decides the category."""
        if self.encoder is None:
            from recsys import create_encoder

            self.encoder = create_encoder()
        if self._garment_prototypes is None:
            from recsys import class_prototypes

            self._garment_prototypes = class_prototypes(self.encoder, list(_GARMENT_CATEGORY))
        image = self.encoder.encode_images([garment])[0]
        best = int(np.argmax(self._garment_prototypes @ image))
        return list(_GARMENT_CATEGORY.values())[best]


def _as_uint8_rgb(array: np.ndarray, name: str) -> np.ndarray:
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise TryOnError(f"{name}: an array must be uint8 HxW, HxWx3 or HxWx4; got {array.dtype} {array.shape}")
    return array
