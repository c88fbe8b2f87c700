"""Request and response models of the REST API; the declared types are what clients get, nothing more."""

from __future__ import annotations

from pydantic import BaseModel, Field

AttributeValue = str | int | float | bool | None


class ProductHit(BaseModel):
    id: str = Field(description="catalog product id")
    title: str
    attributes: dict[str, AttributeValue] = Field(description="catalog attributes, e.g. articleType, baseColour")
    score: float = Field(description="cosine similarity to the query, higher is closer (-1..1)")
    image_url: str = Field(description="URL of the product photo")


class SearchResponse(BaseModel):
    query: str | None = Field(None, description="the text searched for; null for image search")
    k: int = Field(description="number of results asked for")
    results: list[ProductHit] = Field(description="best match first")


class Health(BaseModel):
    status: str = "ok"
    encoder: str
    products: int


class ErrorResponse(BaseModel):
    detail: str
