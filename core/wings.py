"""How a wing declares what it adds to the pages the spine draws, so the spine's templates name no wing.

A wing declares, when its app is ready (`AppConfig.ready`), the tabs it adds to an incident's sections,
its items in the header's menu, the tabs it adds to an incident's workspace, what it does at an
incident's moments (opened, changed, the first media enquiry), the names of its timeline events, the
records it adds to an incident's history, what of its own waits on a person (Now), what a search finds
in it, its parts of the one-page summary and the kinds of event the time line draws. The spine draws
whatever has been declared, in order, and says when each moment comes; a wing that is not installed adds
nothing and hears nothing.

The ground floor knows no app, so a declaration speaks of an incident, a person or a model's rows as
`Any`: what they are is the spine's business, which reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from core.small_counts import Shown


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


# --- the timeline's event types ------------------------------------------------------------------------------

# What each timeline event type is called ("Decision recorded"), for people: each wing names its own.
_EVENT_LABELS: dict[str, str] = {}


def register_event_types(choices) -> None:
    """Name a wing's timeline event types: a TextChoices of them (incidents.models.EventType)."""
    _EVENT_LABELS.update({str(value): str(label) for value, label in choices.choices})


def event_label(event_type: str) -> str:
    """What a person calls an event of this type; one no wing names reads as its words, never as a code."""
    if event_type in _EVENT_LABELS:
        return _EVENT_LABELS[event_type]
    return event_type.replace(".", " ").replace("_", " ").capitalize()


# --- an incident's history -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistorySource:
    """One kind of record shown in an incident's history: its audited model and how to name a row."""

    label: str
    records: Callable[[Any], QuerySet]  # the incident → the historical rows belonging to it
    describe: Callable[[Any], Callable[[Any], str]]  # the incident → how to name one of its rows
    # What a row's name already says (an approval's message), left out of what a new row is listed with,
    # as the incident is.
    parent: tuple[str, ...] = ("incident",)


_HISTORY_SOURCES: list[HistorySource] = []


def register_history_source(source: HistorySource) -> None:
    """Add a wing's records (messages, approvals…) to the incident's history. Register only what every
    member may see: protected identifiers, for one, are never registered. The order of registration is
    the order of the sources in the history's cursor, so a source is only ever added at the end."""
    _HISTORY_SOURCES.append(source)


def history_sources() -> tuple[HistorySource, ...]:
    return tuple(_HISTORY_SOURCES)


# --- what waits on a person (Now) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NowItem:
    """One thing that waits on a person: what it is, why it is theirs, and where to act on it.

    `incident` is set only when the person may see that incident (a wellbeing lead sees a request for
    support from a restricted incident they are not in, but not the incident). `due_at` is when it falls
    due, if it has a deadline; `since` is how long it has waited, which orders things that have none."""

    kind: str
    title: str
    why: str
    url: str
    incident: Any = None  # an Incident, or None
    due_at: datetime | None = None
    since: datetime | None = None

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at <= timezone.now()

    @property
    def label(self) -> str:
        return _NOW_LABELS.get(self.kind, self.kind)


# Each wing says what of its own waits on a person: a function of the person and the time, returning
# NowItems already restricted by its policy, and the kinds it returns, each with its label.
NowSource = Callable[[Any, datetime], list[NowItem]]

_NOW_SOURCES: dict[str, NowSource] = {}
_NOW_LABELS: dict[str, str] = {}


def register_now_source(source: NowSource, labels: dict[str, str]) -> None:
    _NOW_SOURCES[now_source_key(source)] = source
    _NOW_LABELS.update(labels)


def now_source_key(source: Callable) -> str:
    """A source is known by its wing ("incidents", "comms", "support"): an event of a wing's may change
    only that wing's part of a list (core/realtime.py, now_on), which is all the Now socket reads again."""
    return source.__module__.split(".")[0]


def now_sources() -> Mapping[str, NowSource]:
    """Each wing's source, by its key, in the order the wings declared them."""
    return _NOW_SOURCES


# --- what a search finds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    """One thing found: an incident, a decision or a message, always of an incident the person may see.

    `snippet` is plain text (templates escape it): a short excerpt around what matched. `rank` orders hits of
    every kind together, highest first (a reference found exactly, then how well the words match on
    PostgreSQL); among equals, the newest first."""

    kind: str
    title: str
    snippet: str
    url: str
    incident: Any  # an Incident
    when: datetime
    rank: float = 0.0

    @property
    def label(self) -> str:
        return _SEARCH_LABELS.get(self.kind, self.kind)

    @property
    def is_the_incident(self) -> bool:
        """The hit is the incident itself, which a page need not name twice."""
        return self.kind == "incident"


# Each wing's source: a function of the person, the query and a limit, returning at most that many hits of
# each of its kinds, already restricted by its policy; and the kinds it returns, each with its label.
SearchSource = Callable[[Any, str, int], list[SearchHit]]

_SEARCH_SOURCES: list[SearchSource] = []
_SEARCH_LABELS: dict[str, str] = {}


def register_search_source(source: SearchSource, labels: dict[str, str]) -> None:
    if source not in _SEARCH_SOURCES:
        _SEARCH_SOURCES.append(source)
    _SEARCH_LABELS.update(labels)


def search_sources() -> tuple[SearchSource, ...]:
    return tuple(_SEARCH_SOURCES)


# --- the one-page summary ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummarySection:
    """One part of the summary: `read(person, incident)` gives the snippet's `data` (None: nothing to say,
    and the part is left out); `order` places it on the page (the incident wing uses 10, 30…)."""

    key: str
    order: int
    template: str
    read: Callable[[Any, Any], Any]


@dataclass(frozen=True)
class OpenAction:
    """A line of the summary's "Open actions": what, how many, and a few words more (counts only for
    anything that names a person's wellbeing)."""

    what: str
    count: int | Shown  # a count of people comes already withheld where it must be (core/small_counts.py)
    detail: str = ""


# (person, incident) → a wing's lines of "Open actions"
OpenActions = Callable[[Any, Any], list[OpenAction]]

_SUMMARY_SECTIONS: dict[str, SummarySection] = {}
_OPEN_ACTIONS: list[tuple[int, OpenActions]] = []


def register_summary_section(section: SummarySection) -> None:
    _SUMMARY_SECTIONS[section.key] = section


def register_open_actions(source: OpenActions, order: int = 50) -> None:
    """A wing's lines of the summary's "Open actions", placed by `order`, lowest first (then in the order
    registered): the incident wing's decisions due for review are at 20."""
    if all(source is not known for _, known in _OPEN_ACTIONS):
        _OPEN_ACTIONS.append((order, source))
        _OPEN_ACTIONS.sort(key=lambda entry: entry[0])


def summary_sections() -> list[SummarySection]:
    """The summary's parts, in the order they are drawn."""
    return sorted(_SUMMARY_SECTIONS.values(), key=lambda s: (s.order, s.key))


def open_action_sources() -> list[OpenActions]:
    """Each wing's lines of "Open actions", in the order they are listed."""
    return [source for _, source in _OPEN_ACTIONS]


# --- the incident's time line --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkerKind:
    """A kind of event the Timeline tab's picture draws, in its own lane, from the event types that make it."""

    key: str
    label: str  # "Decisions": a lane's name, and the table's "Kind"
    shape: str  # core/charts.py SHAPES
    colour: str
    event_types: tuple[str, ...]
    order: int = 50


_MARKER_KINDS: dict[str, MarkerKind] = {}


def register_timeline_markers(kind: MarkerKind) -> None:
    _MARKER_KINDS[kind.key] = kind


def marker_kinds() -> list[MarkerKind]:
    return sorted(_MARKER_KINDS.values(), key=lambda k: (k.order, k.key))
