"""Shared fixtures. Real data comes from $ATELIER_DATA (default ../shared/data); tests that need it skip
with a reason where it is absent, as on a user's fresh clone."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

DATA = Path(os.environ.get("ATELIER_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def require_data(*parts: str) -> Path:
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not found at {path} (set ATELIER_DATA to ../shared/data)")
    return path


def load_bench(name: str):
    """bench/<name>.py as a module: its arithmetic (splits, metrics, scores) is product code and gets tests. With
    bench/ on the path, as when it runs as a script, so it finds its shared helpers (bench/common.py)."""
    path = Path(__file__).parents[1] / "bench" / f"{name}.py"
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


# --- databases: every store test runs on SQLite and on a real PostgreSQL server -----------------------------------
@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server for the session (tests/pg.py), or a skip saying why there is none."""
    from pg import PgServer

    server = PgServer()
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """Where a test's store lives: a new SQLite file, then a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "atelier.db")
    return request.getfixturevalue("postgres").new_database()


# --- the service: one set of engines, keys and live server for every service test (loading takes seconds) -----
@pytest.fixture(scope="session")
def service_engines(tmp_path_factory):
    """The real default engines over the demo catalog, with a store of their own in a temporary folder."""
    from ui import DEMO_CATALOG, Engines

    engines = Engines.load(DEMO_CATALOG, db=tmp_path_factory.mktemp("store") / "shop.db")
    engines.app_rate = 10_000  # every test calls from 127.0.0.1; tests/test_security.py checks the limit itself
    return engines


@pytest.fixture(scope="session")
def admin_secret(service_engines) -> str:
    return service_engines.keys.create("tests (admin)", "admin", 10_000).secret


@pytest.fixture(scope="session")
def widget_secret(service_engines) -> str:
    return service_engines.keys.create("tests (widget)", "widget", 10_000).secret


@pytest.fixture(scope="session")
def live_url(service_engines):
    """The whole app as `make demo` serves it (demo shop page included) on a real uvicorn server in a thread, on a
    free loopback port bound up front (no race)."""
    import socket
    import threading
    import time

    import uvicorn

    from ui import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(service_engines, demo_shop=True), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()
