"""Shared fixtures. Real data comes from $ATELIER_DATA (default ../shared/data); tests that need it skip
with a reason where it is absent, as on a user's fresh clone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(os.environ.get("ATELIER_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def require_data(*parts: str) -> Path:
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not found at {path} (set ATELIER_DATA to ../shared/data)")
    return path


@pytest.fixture(scope="session")
def product_images() -> list[Path]:
    """A handful of real catalog photos, fixed ids so failures reproduce."""
    folder = require_data("products", "images")
    return [folder / f"{i}.jpg" for i in (15970, 39386, 59263, 21379, 53759, 1855, 30805, 26960)]


@pytest.fixture(scope="session")
def default_encoder():
    from recsys import create_encoder

    return create_encoder()


@pytest.fixture(scope="session")
def styles():
    """The real catalog's labels, indexed by product id."""
    import pandas as pd

    return pd.read_csv(require_data("products", "styles.csv"), on_bad_lines="skip").set_index("id")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder, or a skip with the reason."""
    return require_data()
