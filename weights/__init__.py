"""Atelier's model registry: ``resolve(model_id)`` → local path, ``list_models()``, ``get_entry()``."""

from .registry import (
    ModelEntry,
    WeightsCorruptError,
    WeightsNotFoundError,
    env_var,
    get_entry,
    is_hub_id,
    list_models,
    record_file,
    resolve,
    resolve_pretrained,
    sha256_of,
    user_setting,
)

__all__ = [
    "ModelEntry",
    "WeightsCorruptError",
    "WeightsNotFoundError",
    "env_var",
    "get_entry",
    "is_hub_id",
    "list_models",
    "record_file",
    "resolve",
    "resolve_pretrained",
    "sha256_of",
    "user_setting",
]
