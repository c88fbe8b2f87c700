"""Leave-last-out: the one rule for which interaction is a shopper's "next" one.

    held = last_interactions(frame)          # boolean mask, aligned with frame's rows
    history, next_items = hold_out_last(frame)

A shopper's last interaction is the one with the latest ``ts``; among rows on that same date the later row in
the file wins. ``recommend_batch``, the learned blend's training split and bench/recommender_quality.py all
split with these functions, so what is measured is what is served. (An earlier version took the last *row*
per shopper whatever its date, which held out a rental made before others in the history.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def last_interactions(frame: pd.DataFrame) -> np.ndarray:
    """Boolean mask of each user's last interaction by ``ts``; ties go to the later row in the file."""
    order = pd.DataFrame({"user_id": frame["user_id"].to_numpy(), "ts": pd.to_datetime(frame["ts"]).to_numpy(),
                          "row": np.arange(len(frame))})
    order = order.sort_values(["ts", "row"], kind="stable")
    last = order.loc[~order.duplicated("user_id", keep="last"), "row"].to_numpy()
    mask = np.zeros(len(frame), dtype=bool)
    mask[last] = True
    return mask


def hold_out_last(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history, held_out): every shopper's last interaction (``last_interactions``) and everything before it."""
    held = last_interactions(frame)
    return frame[~held], frame[held]
