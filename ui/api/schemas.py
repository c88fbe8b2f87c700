"""Request and response models of the REST API; the declared types are what clients get, nothing more.

Images travel as base64 in JSON (``*_image`` fields, a ``data:`` URL prefix is accepted) or as files in a
multipart form with the same field names; results come back as base64 PNG.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from recsys import ID_PATTERN

from ..uploads import MAX_RESULTS, MAX_TEXT_CHARS, MAX_UPLOAD_BYTES, USER_ID_PATTERN

AttributeValue = str | int | float | bool | None
UserId = Annotated[str, Field(pattern=USER_ID_PATTERN, description="1-64 letters, digits or . _ @ -, starting with a "
                                                                  "letter or digit")]
ItemId = Annotated[str, Field(pattern=ID_PATTERN, description="1-128 characters, starting with a letter or digit, "
                                                              "no slash or backslash")]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]


def not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("the text is only whitespace: type what you are looking for")
    return text


def _timestamp(value: str) -> str:
    """An ISO-8601 date-time from 1970 to 2100: a history reaches no further, and "1e400" is no date."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise ValueError("ts must be an ISO-8601 date-time, e.g. 2024-05-01T12:00:00Z") from err
    if not 1970 <= moment.year <= 2100:
        raise ValueError("ts must lie between 1970 and 2100")
    return value


def _image_bytes(value: object) -> bytes:
    """Multipart files arrive as bytes; JSON carries base64 text (optionally a data: URL)."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("an image is a base64 string (JSON) or a file (multipart)")
    if value.startswith("data:"):
        value = value.partition(",")[2]
    if len(value) > MAX_UPLOAD_BYTES * 4 // 3 + 4:
        raise ValueError(f"the image is over the limit of {MAX_UPLOAD_BYTES // 2**20} MB")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as err:
        raise ValueError("the image is not valid base64") from err


ImageData = Annotated[bytes, BeforeValidator(_image_bytes), WithJsonSchema(
    {"type": "string", "contentEncoding": "base64",
     "description": f"JPEG, PNG or WebP, base64 (JSON) or a file (multipart), at most {MAX_UPLOAD_BYTES // 2**20} MB"})]


# Search and recommend answer the same way when a request cannot be met as asked.
MESSAGE = ("what the shopper should know: a condition of the request no item met and the nearest offered instead "
           "('no red shoes under 50; the cheapest red shoes are 55'), or one the catalog could not check; null when "
           "the results meet the request")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- search -------------------------------------------------------------------------------------------------
class ProductHit(BaseModel):
    id: str = Field(description="catalog product id")
    title: str
    attributes: dict[str, AttributeValue] = Field(description="catalog attributes, e.g. articleType, baseColour")
    score: float = Field(description="cosine similarity to the query, higher is closer (-1..1)")
    image_url: str = Field(description="URL of the product photo")


class SearchResponse(BaseModel):
    query: str | None = Field(None, description="the text searched for; null for image search")
    k: int = Field(description="number of results asked for")
    results: list[ProductHit] = Field(description="best match first, among the products the request allows")
    message: str | None = Field(None, description=MESSAGE)


# --- parse --------------------------------------------------------------------------------------------------
class ParseRequest(Strict):
    text: Text = Field(examples=["try the red leather jacket on me in M, make it vintage"])


class EntityOut(BaseModel):
    label: str = Field(description="slot: GARMENT, COLOR, SIZE, STYLE, MATERIAL, PATTERN, FIT, SLEEVE, BRAND, PRICE, "
                                   "OCCASION")
    text: str
    start: int
    end: int
    score: float
    negated: bool


class ParseResponse(BaseModel):
    text: str
    intent: str = Field(description="try_on, restyle, recommend or search")
    intent_score: float
    entities: list[EntityOut]
    request: dict = Field(description="the normalised request: items with canonical garment, colours, size; style, "
                                      "occasion, price and exclusions")


# --- try-on -------------------------------------------------------------------------------------------------
class Garment(BaseModel):
    id: str
    title: str
    category: Literal["upper", "lower", "dress"]
    image_url: str


class TryOnRequest(Strict):
    person_image: ImageData
    garment_id: ItemId | None = Field(None, description="a garment from /api/v1/garments; default: the one the "
                                                        "instruction names most closely")
    instruction: Text | None = Field(None, examples=["try the polo on me in M, make it vintage"])
    size: Annotated[str, Field(max_length=16)] | None = Field(None, description="e.g. M, XL, EU 40 (default: the "
                                                                               "instruction's, else as photographed)")
    colour: Annotated[str, Field(max_length=40)] | None = Field(None, description="recolour the garment, e.g. burgundy")
    style: Annotated[str, Field(max_length=40)] | None = Field(None, description="restyle the garment first, e.g. "
                                                                                "vintage")
    user_id: UserId | None = None
    keep_photo: bool = Field(False, description="keep the person photo (metadata stripped) under user_id; by "
                                                "default it is processed in memory and never written")


class TryOnResponse(BaseModel):
    image: str = Field(description="the try-on, base64 PNG")
    garment: Garment
    message: str | None = Field(description="how the garment differs from the request, e.g. 'no t-shirt here; "
                                            "closest: the Navy polo shirt'; null when it is what was asked")
    parsed: ParseResponse | None
    size: str | None
    colour: str | None
    style: str | None
    kept_photo: bool
    seconds: float


# --- restyle ------------------------------------------------------------------------------------------------
class RestyleRequest(Strict):
    image: ImageData | None = Field(None, description="a garment photo; or give garment_id")
    garment_id: ItemId | None = None
    style: Annotated[str, Field(min_length=1, max_length=40)] | None = Field(None, examples=["vintage"])
    style_image: ImageData | None = Field(None, description="a reference picture whose look to take")
    user_id: UserId | None = Field(None, description="a customer's taste, read from their history (admin keys)")
    strength: float = Field(0.8, ge=0, le=1)
    preserve_colour: bool = False


class RestyleResponse(BaseModel):
    image: str = Field(description="the restyled garment, base64 PNG")
    style: str = Field(description="the style name, 'reference image' or 'taste of <user>'")
    description: str = Field(description="what was applied, e.g. 'vintage: cream, rust, mustard, sage, mauve; small "
                                         "ditsy floral; cotton, faded, grain', or what was read from the pictures")


# --- recommend ----------------------------------------------------------------------------------------------
class RecommendRequest(Strict):
    user_id: UserId | None = Field(None, description="a stored user's history (admin keys)")
    text: Annotated[Text, AfterValidator(not_blank)] | None = Field(None, examples=["a red dress for a wedding, "
                                                                                     "not black"])
    history: list[ItemId] | None = Field(None, max_length=500, description="item ids the shopper chose")
    k: int = Field(10, ge=1, le=MAX_RESULTS)


class RecommendedItem(BaseModel):
    id: str
    title: str
    score: float
    reasons: list[str] = Field(description="why, in words: what of the request it meets ('matches your request: "
                                           "red heels, 45 (under 50)'), its reviews ('4.6★ from 212 comments'), "
                                           "then the signals that lifted it most")
    image_url: str | None


class RecommendResponse(BaseModel):
    results: list[RecommendedItem]
    message: str | None = Field(None, description=MESSAGE)
    model: str = Field(description="Recommender (learned blend) or ContentRecommender (a shop too new to learn from)")


# --- catalog and users --------------------------------------------------------------------------------------
class CatalogItem(Strict):
    id: ItemId
    title: Annotated[str, Field(min_length=1, max_length=300)]
    description: Annotated[str, Field(max_length=5000)] | None = None
    category: Annotated[str, Field(max_length=100)] | None = None
    colour: Annotated[str, Field(max_length=100)] | None = None
    price: Annotated[float, Field(ge=0, le=1e9)] | None = None
    currency: Annotated[str, Field(max_length=8)] | None = None
    attributes: dict[Annotated[str, Field(max_length=100)], AttributeValue] = Field(default_factory=dict,
                                                                                   max_length=50)
    image: ImageData | None = None


class CatalogRequest(Strict):
    items: list[CatalogItem] = Field(min_length=1, max_length=200)


class CatalogResponse(BaseModel):
    ingested: int
    products: int = Field(description="searchable products in the catalog now")


class Interaction(Strict):
    item_id: ItemId
    kind: Annotated[str, Field(pattern=r"^[a-z_]{1,20}$")] = "interaction"
    ts: Annotated[str, Field(max_length=40), AfterValidator(_timestamp)] | None = Field(
        None, description="ISO-8601 date-time; default now")


class InteractionsRequest(Strict):
    interactions: list[Interaction] = Field(min_length=1, max_length=500)


class UserHistory(BaseModel):
    user_id: str
    interactions: list[Interaction]
    kept_photos: int


class UserDeletion(BaseModel):
    user_id: str
    interactions: int
    reviews: int
    photos: int


class Health(BaseModel):
    status: str = "ok"
    encoder: str
    products: int
    garments: int


class ErrorResponse(BaseModel):
    detail: str | list
