"""How a wing declares what it adds to the pages the spine draws, so the spine's templates name no wing.

A wing declares, when its app is ready (`AppConfig.ready`), the tabs it adds to an incident's sections.
The spine draws whatever has been declared, in order; a wing that is not installed adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse


@dataclass(frozen=True)
class IncidentTab:
    key: str  # what a page names as its current tab (`incident_tab` in its context)
    label: str
    url_name: str  # a URL taking the incident's id
    order: int
    # Whether this person is offered it, from the page's context (which already holds what they may do):
    # no query of its own, so the header's tabs cost nothing.
    shown: Callable[[Mapping[str, Any]], bool] | None = None


_TABS: dict[str, IncidentTab] = {}


def incident_tab(key: str, label: str, url_name: str, *, order: int,
                 shown: Callable[[Mapping[str, Any]], bool] | None = None) -> None:
    """Declare a section of every incident's pages. A key declared twice is a mistake, caught at start."""
    tab = IncidentTab(key, label, url_name, order, shown)
    if _TABS.get(key, tab) != tab:
        raise ImproperlyConfigured(f"Two incident tabs are declared as {key!r}.")
    _TABS[key] = tab


def incident_tabs(incident_id: int, current: str, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The incident's sections for this page: each a label, its address and whether it is this page."""
    return [{"key": tab.key, "label": tab.label, "url": reverse(tab.url_name, args=[incident_id]),
             "current": tab.key == current}
            for tab in sorted(_TABS.values(), key=lambda t: (t.order, t.key))
            if tab.shown is None or tab.shown(context)]
