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


# --- the header's menu ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url_name: str
    order: int
    also: str = ""  # another page under this item (an inbox item, under Inbox)
    count_words: str = ""  # what its count counts, for screen readers ("to read")
    phone_only: bool = False  # on a wide screen it is in the header itself (Search)


# A wing's offers: which of its items this person is offered (a key present), each with its count (None
# for no count), for the whole wing in one query.
Offers = Callable[[Any], Mapping[str, int | None]]

_MENU: dict[str, MenuItem] = {}
_OFFERED_BY: dict[str, Offers] = {}


def menu_items(*items: MenuItem, offers: Offers | None = None) -> None:
    """Declare a wing's items in the header's menu. `offers(request)` says which of them this person is
    offered; without it, everyone signed in is offered them."""
    for item in items:
        if _MENU.get(item.key, item) != item:
            raise ImproperlyConfigured(f"Two menu items are declared as {item.key!r}.")
        _MENU[item.key] = item
        if offers is not None:
            _OFFERED_BY[item.key] = offers


def menu(request) -> list[dict[str, Any]]:
    """The menu for this request's person, in order: each item with its count. Each wing's offers are read
    once, and only when a page draws the menu (a panel redrawn alone reads none)."""
    answers: dict[Offers, Mapping[str, int | None]] = {}
    shown = []
    for item in sorted(_MENU.values(), key=lambda i: (i.order, i.key)):
        offers = _OFFERED_BY.get(item.key)
        if offers is None:
            shown.append({"item": item, "count": None})
            continue
        if offers not in answers:
            answers[offers] = offers(request)
        if item.key in answers[offers]:
            shown.append({"item": item, "count": answers[offers][item.key]})
    return shown
