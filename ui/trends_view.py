"""The product tab's Trends area: the shop's own trends (recsys's ranking of its interactions) and, optionally,
Google Trends momentum, each as a table and a plot.

UI code, so it lives in ``ui/`` and uses recsys's public API only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from filelock import FileLock

from recsys import (
    TREND_KINDS,
    Store,
    attribute_trends,
    default_gtrends_path,
    plot_shop_trends,
    plot_trends,
    read_gtrends,
    read_table,
    shop_trends,
)

from . import DEMO_CATALOG

# Real dated sales (VISUELLE, see demo_catalog/NOTICE.md; rebuilt by docs/make_trends_sample.py).
TRENDS_SAMPLE = DEMO_CATALOG / "trends_sample"
ALL_KINDS = "all"


@dataclass
class ShopTrendsView:
    table: pd.DataFrame  # the ranking, shares in per cent; empty when nothing ranks
    figure: object | None  # matplotlib Figure of the weekly shares; None when nothing ranks
    message: str  # what was compared, and why a kind is missing


def shop_trends_view(store: Store, kind: str = ALL_KINDS, top: int = 10, until: str | None = None) -> ShopTrendsView:
    """The store's own trends for one kind (or ``"all"``); a ValueError for an empty store or a bad argument."""
    trends = shop_trends(store, TREND_KINDS if kind == ALL_KINDS else (kind,), top, until or None)
    table = trends.to_frame()
    for column in ("share", "previous_share", "momentum"):
        table[column] = (100 * table[column]).round(1)
    said = (f"Share of the shop's interactions in the {trends.recent_weeks} weeks up to {trends.until:%Y-%m-%d} "
            f"against the {trends.previous_weeks} weeks before (in %; momentum in share points). Values with fewer "
            f"than {trends.min_count} interactions in both windows are left out.")
    notes = "".join(f"\n- {note}" for note in trends.notes)
    if table.empty:
        return ShopTrendsView(table, None, f"**Nothing to rank yet.** {said}{notes}")
    return ShopTrendsView(table, plot_shop_trends(trends), said + notes)


def demo_trends_store(path: str | Path) -> Store:
    """A store at ``path`` holding the shipped sample, ingested (checked like any shop's files) the first time.
    The demo shows its trends from here: the sample never enters a shop's own store. Two first clicks at once, in
    two threads or in two workers, must not ingest the sample twice into one file: a lock file beside it."""
    with FileLock(Path(path).with_name(Path(path).name + ".lock")):
        store = Store(path)
        if not store.counts()["interactions"]:
            store.ingest(items=read_table(TRENDS_SAMPLE / "items.parquet"),
                         interactions=read_table(TRENDS_SAMPLE / "interactions.parquet"))
    return store


def trends_view(period: str, top: int = 10, gtrends_path: str | Path | None = None) -> tuple[pd.DataFrame, object]:
    """(ranking table, matplotlib Figure) for ``period`` (YYYY-MM) from ``gtrends_path`` (default: VISUELLE's
    gtrends.csv under $ATELIER_DATA). FileNotFoundError for a missing file; ValueError names the valid range."""
    ranking = attribute_trends(read_gtrends(gtrends_path or default_gtrends_path()), period, top)
    return ranking.to_frame(), plot_trends(ranking)
