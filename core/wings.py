"""How a wing declares what it adds to the pages the spine draws, so the spine's templates name no wing.

A wing declares, when its app is ready (`AppConfig.ready`), the tabs it adds to an incident's sections,
its items in the header's menu, the tabs it adds to an incident's workspace, and what it does at an
incident's moments (opened, changed, the first media enquiry). The spine draws whatever has been declared,
in order, and says when each moment comes; a wing that is not installed adds nothing and hears nothing.
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


# --- an incident's moments -----------------------------------------------------------------------------------
#
# What the spine tells the wings as an incident lives, inside the transaction that changed it (the incident
# row locked), so whatever a wing does then commits or rolls back with the change. The spine says only that
# the moment came; what follows from it is the wing's.

MOMENTS = {
    # incident (its lead saved, its opening on the timeline), actor
    "opened": ("incident", "actor"),
    # incident, actor, changed: the names of the details that changed (incident_update: their change is on
    # the timeline); a change of status is not one
    "changed": ("incident", "actor", "changed"),
    # incident, at: the first media enquiry was logged (`incident.media_interest_at` is set)
    "media_interest": ("incident", "at"),
    # person, message: acknowledging a briefing of the incident (its message) in their own inbox, the person
    # said "I would like to talk to someone"
    "wants_support": ("person", "message"),
}

_ON_INCIDENT: dict[str, list[Callable[..., None]]] = {moment: [] for moment in MOMENTS}


def on_incident(moment: str, then: Callable[..., None]) -> None:
    """Declare what a wing does at one of an incident's moments: `then(**details)`, the details that
    MOMENTS names. A moment that does not exist is a mistake, caught at start."""
    if moment not in MOMENTS:
        raise ImproperlyConfigured(f"No incident moment is called {moment!r}: choose from {sorted(MOMENTS)}.")
    if then not in _ON_INCIDENT[moment]:
        _ON_INCIDENT[moment].append(then)


def incident_moment(moment: str, **details: Any) -> None:
    """The spine says an incident's moment came; each wing that declared it acts, in the order declared."""
    if set(details) != set(MOMENTS[moment]):
        raise TypeError(f"The {moment!r} moment gives {sorted(MOMENTS[moment])}, not {sorted(details)}.")
    for then in _ON_INCIDENT[moment]:
        then(**details)


# --- the workspace's tabs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceTab:
    """A tab a wing adds to an incident's workspace (drawn after the overview): its template, the live
    panels in it (each `id="panel-<key>"`, redrawn alone from its own template when an event names it),
    what its templates read, and the scripts the page loads for it."""

    key: str  # the tab's anchor (#clocks)
    label: str
    template: str
    panels: Mapping[str, str]  # panel key → the template that draws that panel alone
    # (request, incident, posted) → what its templates read, merged into the workspace's context; `posted`
    # holds the wing's own forms when one of its views shows the workspace again with their errors. Read
    # lazily where it costs a query, so a panel redrawn alone costs only its own.
    context: Callable[[Any, Any, Mapping[Any, Any]], Mapping[str, Any]]
    order: int
    scripts: tuple[str, ...] = ()  # static paths


_WORKSPACE_TABS: dict[str, WorkspaceTab] = {}


def workspace_tab(key: str, label: str, template: str, *, panels: Mapping[str, str],
                  context: Callable[[Any, Any, Mapping[Any, Any]], Mapping[str, Any]], order: int,
                  scripts: tuple[str, ...] = ()) -> None:
    """Declare a tab of every incident's workspace. A key or panel declared twice is a mistake, caught at
    start."""
    tab = WorkspaceTab(key, label, template, dict(panels), context, order, tuple(scripts))
    if _WORKSPACE_TABS.get(key, tab) != tab:
        raise ImproperlyConfigured(f"Two workspace tabs are declared as {key!r}.")
    taken = {panel for other in _WORKSPACE_TABS.values() if other.key != key for panel in other.panels}
    if taken & set(tab.panels):
        raise ImproperlyConfigured(f"Workspace panels declared twice: {sorted(taken & set(tab.panels))}.")
    _WORKSPACE_TABS[key] = tab


def workspace_tabs() -> list[WorkspaceTab]:
    return sorted(_WORKSPACE_TABS.values(), key=lambda t: (t.order, t.key))


def workspace_panel(panel: str) -> WorkspaceTab | None:
    """The tab that holds this panel, if a wing declared it."""
    return next((tab for tab in _WORKSPACE_TABS.values() if panel in tab.panels), None)
