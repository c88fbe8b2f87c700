"""The product tab's Trends area: recsys's attribute ranking as a table and a plot.

UI code, so it lives in ``ui/`` and uses recsys's public API only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recsys import attribute_trends, default_gtrends_path, plot_trends, read_gtrends


def trends_view(period: str, top: int = 10, gtrends_path: str | Path | None = None) -> tuple[pd.DataFrame, object]:
    """(ranking table, matplotlib Figure) for ``period`` (YYYY-MM) from ``gtrends_path`` (default: VISUELLE's
    gtrends.csv under $ATELIER_DATA). FileNotFoundError for a missing file; ValueError names the valid range."""
    ranking = attribute_trends(read_gtrends(gtrends_path or default_gtrends_path()), period, top)
    return ranking.to_frame(), plot_trends(ranking)
