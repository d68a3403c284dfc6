"""What every page's layout needs from the ground floor: the header's menu as the wings declare it
(core/wings.py), read only when a page draws it, and the threshold below which counts are withheld."""

from __future__ import annotations

from functools import cache

from . import small_counts, wings


def menu(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"menu": cache(lambda: wings.menu(request))}


def small_count(request):
    """HARBOUR_SMALL_COUNT, for the pages that say a count is withheld below it (core/small_counts.py)."""
    return {"small_count": small_counts.threshold()}
