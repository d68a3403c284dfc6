"""Pictures drawn on the server as SVG (issue 11, point 7): no script, no new dependency, nothing for the
Content Security Policy to allow (inline SVG is markup, not an image source).

Three kinds, each a `Chart` that renders as one <figure>:

- `step_chart`: a running count over time (how many people have read a briefing since its release);
- `timeline_chart`: a horizontal time line with a lane and a marker shape for each kind of event;
- `bar_chart`: grouped bars, one group per week (check-ins due, done and declined).

Every picture has `role="img"` and is labelled by its <title> and a <desc> that says in words what it
shows; colours are GOV.UK's, and never carry meaning alone (each series has its own shape or fill pattern
and a legend in text, so it reads in black and white); the drawing scales to its container (a viewBox and
`width: 100%`), so it fits a 390px phone. Under each picture is a real table of the same numbers, in a
<details> on screen and always open in print (harbour.css, "Pictures"). No data: one sentence, never an
empty frame.

Pure Python: the callers pass plain numbers, times and words; nothing here reads a model. A count about
people may come as a `core.small_counts.Shown` that withholds it ("fewer than 5"): it is drawn as a band
with a dashed outline over the values it may be, never as a number, and its words go in the table and the
description. Every piece of text put into the markup goes through Django's escaping.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from core.small_counts import Shown, exact
from core.times import uk_time

# GOV.UK Frontend's palette: each of these has at least 4.5:1 contrast with white.
BLUE = "#1d70b8"
DARK_BLUE = "#003078"
GREEN = "#00703c"
PURPLE = "#4c2c92"
RED = "#d4351c"
BLACK = "#0b0c0c"
DARK_GREY = "#505a5f"
MID_GREY = "#b1b4b6"
ORANGE = "#f47738"  # used only with a dark outline: on its own it is too light on white

WIDTH = 480  # viewBox units; the picture is drawn this wide and scaled to its container
FONT = 16  # viewBox units: about 11px on a 390px phone, 16px on a desktop column
MARGIN_LEFT, MARGIN_RIGHT = 44, 16

SHAPES = ("circle", "square", "diamond", "triangle", "cross")
PATTERNS = ("solid", "hatched", "dotted", "open")


@dataclass(frozen=True)
class Table:
    """The numbers behind a picture, as a person reads them in a table."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def __html__(self) -> str:
        head = format_html_join("", '<th scope="col" class="govuk-table__header">{}</th>', ((h,) for h in self.headers))
        body = format_html_join("", '<tr class="govuk-table__row">{}</tr>', (
            (format_html_join("", '<td class="govuk-table__cell">{}</td>', ((cell,) for cell in row)),)
            for row in self.rows))
        return format_html(
            '<table class="govuk-table harbour-chart__table"><caption class="govuk-table__caption '
            'govuk-table__caption--s">{}</caption><thead class="govuk-table__head"><tr class="govuk-table__row">'
            '{}</tr></thead><tbody class="govuk-table__body">{}</tbody></table>', self.caption, head, body)


@dataclass(frozen=True)
class Chart:
    """A picture and its table, or the sentence said instead when there is nothing to draw."""

    ident: str
    title: str
    description: str
    svg: SafeString | None
    table: Table | None
    empty: str = ""
    table_open: bool = False  # the table shown (not folded into "Show the numbers as a table") on screen too

    @property
    def is_empty(self) -> bool:
        return self.svg is None

    def __html__(self) -> str:
        if self.svg is None:
            return format_html('<p class="govuk-body harbour-chart__empty" id="{}">{}</p>', self.ident, self.empty)
        if self.table_open:
            numbers = format_html('<div class="harbour-chart__numbers">{}</div>', self.table)
        else:
            numbers = format_html(
                '<details class="govuk-details harbour-chart__numbers"><summary class="govuk-details__summary">'
                '<span class="govuk-details__summary-text">Show the numbers as a table</span></summary>'
                '<div class="govuk-details__text">{}</div></details>', self.table)
        return format_html('<figure class="harbour-chart" id="{}">{}{}</figure>', self.ident, self.svg, numbers)

    def __str__(self) -> str:
        return self.__html__()


# --- pieces ------------------------------------------------------------------------------------------------


def _num(value: float) -> str:
    """A coordinate, short: 12, 12.5."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(ident: str, title: str, description: str, height: float, body: str, defs: str = "") -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="harbour-chart__svg" viewBox="0 0 {} {}" width="100%" '
        'role="img" aria-labelledby="{}-title {}-desc" font-size="{}" font-family="sans-serif">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}{}</svg>',
        WIDTH, _num(height), ident, ident, FONT, ident, title, ident, description,
        mark_safe(f"<defs>{defs}</defs>") if defs else "", mark_safe(body))  # noqa: S308 - built here, escaped


def _text(x: float, y: float, words: str, *, anchor: str = "start", weight: str = "", fill: str = BLACK) -> str:
    return format_html('<text x="{}" y="{}" text-anchor="{}" fill="{}"{}>{}</text>', _num(x), _num(y), anchor, fill,
                       mark_safe(' font-weight="bold"') if weight else "", words)


def _marker(shape: str, x: float, y: float, colour: str, size: float = 7, tip: str = "") -> str:
    """A marker of a shape that says its kind without its colour."""
    hint = format_html("<title>{}</title>", tip) if tip else ""
    s = size
    if shape == "square":
        body = format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}"',
                           _num(x - s), _num(y - s), _num(2 * s), _num(2 * s), colour, BLACK)
    elif shape == "diamond":
        body = format_html('<polygon points="{},{} {},{} {},{} {},{}" fill="{}" stroke="{}"', _num(x), _num(y - s - 2),
                           _num(x + s + 2), _num(y), _num(x), _num(y + s + 2), _num(x - s - 2), _num(y), colour, BLACK)
    elif shape == "triangle":
        body = format_html('<polygon points="{},{} {},{} {},{}" fill="{}" stroke="{}"', _num(x), _num(y - s - 1),
                           _num(x + s + 1), _num(y + s), _num(x - s - 1), _num(y + s), colour, BLACK)
    elif shape == "cross":
        return format_html('<g stroke="{}" stroke-width="3">{}<line x1="{}" y1="{}" x2="{}" y2="{}"/>'
                           '<line x1="{}" y1="{}" x2="{}" y2="{}"/></g>', colour, hint, _num(x - s), _num(y - s),
                           _num(x + s), _num(y + s), _num(x - s), _num(y + s), _num(x + s), _num(y - s))
    else:
        body = format_html('<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="{}"', _num(x), _num(y), _num(s), colour,
                           BLACK)
    return body + (format_html(">{}</{}>", hint, body.split(" ", 1)[0][1:]) if hint else "/>")


def _nice_step(span: float, most: int = 5) -> int:
    """A round step (1, 2, 5, 10, 20, 50…) that divides 0..span into at most `most` intervals."""
    if span <= 0:
        return 1
    raw = span / most
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return max(1, int(factor * power))
    return max(1, int(10 * power))


_TIME_STEPS = [dt.timedelta(hours=h) for h in (1, 2, 3, 6, 12)] + [dt.timedelta(days=d) for d in (1, 2, 7, 14, 28)]


def _time_ticks(start: dt.datetime, end: dt.datetime, zone, most: int = 4) -> list[tuple[dt.datetime, str]]:
    """Round times (on the hour, or at midnight) between start and end, at most `most`, labelled for a
    person in the zone: "14:00" within a day, else "24 Nov". Each tick is a real moment, in the zone.

    On the days the clocks change the ticks stay at round local hours, found as moments rather than by
    adding hours to a clock time (which put two ticks at one moment in March and lost an hour in October):
    an hour that does not happen (01:00 on the last Sunday of March in London) has no tick, and an hour that
    happens twice (01:00 on the last Sunday of October) has two, each labelled with its zone's abbreviation
    ("01:00 BST", then "01:00 GMT") so that the two read as different times."""
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)  # compared as moments, never as clock times
    span = end - start
    step = next((s for s in _TIME_STEPS if span / s <= most), dt.timedelta(days=math.ceil(span.days / most) or 1))
    if step < dt.timedelta(days=1):
        candidates = _round_hours(start.astimezone(zone).date(), int(step.total_seconds() // 3600), zone)
    else:
        candidates = _midnights(start.astimezone(zone).date(), step, zone)
    ticks = []
    for at in candidates:
        if at > end or len(ticks) > most + 1:
            break
        if at >= start:
            ticks.append((at, _clock(at, zone) if span <= dt.timedelta(days=1) else f"{at.day} {at:%b}"))
    if len(ticks) < 2:  # a short span (released minutes ago): its two ends, to the minute
        ticks = [(moment.astimezone(zone), _clock(moment, zone)) for moment in (start, end)]
    return ticks


def _round_hours(day: dt.date, hours: int, zone) -> Iterator[dt.datetime]:
    """Every moment from the start of `day` on whose local clock reads a multiple of `hours` on the hour,
    in order: none for a clock time skipped when the clocks go forward, two for one repeated when they go
    back (fold 0, then fold 1)."""
    while True:
        for hour in range(0, 24, hours):
            seen = set()
            for fold in (0, 1):
                at = dt.datetime(day.year, day.month, day.day, hour, tzinfo=zone, fold=fold)
                moment = at.astimezone(dt.UTC)
                if moment.astimezone(zone).replace(tzinfo=None, fold=0) != at.replace(tzinfo=None, fold=0):
                    continue  # in the gap when the clocks go forward: this clock time never happens
                if moment not in seen:
                    seen.add(moment)
                    yield at
        day += dt.timedelta(days=1)


def _midnights(day: dt.date, step: dt.timedelta, zone) -> Iterator[dt.datetime]:
    """Local midnights from `day`, every `step` (whole days): stepping in local days keeps them at midnight
    through a change of the clocks."""
    while True:
        yield zone_date(day, zone)
        day += step


def _clock(when: dt.datetime, zone) -> str:
    """ "14:00", in the zone; "01:00 BST" or "01:00 GMT" for a time the clock shows twice."""
    local = when.astimezone(zone)
    twice = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    return f"{local:%H:%M %Z}" if twice else f"{local:%H:%M}"


def zone_date(day: dt.date, zone) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone)


def _plural(n: int | Shown, one: str, many: str | None = None) -> str:
    single = (n.count if isinstance(n, Shown) else n) == 1
    return f"{n} {one if single else (many or one + 's')}"


def _shown(value: int | Shown) -> Shown:
    return value if isinstance(value, Shown) else exact(int(value))


def _withheld_box(x0: float, x1: float, y_low: float, y_high: float, colour: str, tip: str) -> str:
    """A count that is not shown (core/small_counts.py): a pale band with a dashed outline over every value
    it may be, so the picture says "somewhere in here" and never a number."""
    return format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="#ffffff" fill-opacity="0.6" stroke="{}" '
                       'stroke-width="1.5" stroke-dasharray="4 3"><title>{}</title></rect>', _num(x0), _num(y_high),
                       _num(max(x1 - x0, 2)), _num(max(y_low - y_high, 2)), colour, tip)


# --- a running count over time -----------------------------------------------------------------------------


def step_chart(*, ident: str, title: str, points: Sequence[tuple], start: dt.datetime,
               end: dt.datetime, out_of: int | None = None, one: str = "person", counted: str = "people",
               heading: str = "People who have read it", value_header: str = "Count", when_header: str = "Up to",
               empty: str = "Nothing to show yet.", zone=None) -> Chart:
    """A count that only grows (a running total), as steps from `start` to `end`: `points` are
    (time, total by then), oldest first, each holding until the next; a third item, if given, is what the
    table says for its time ("Up to 14:00"). A total may be a withheld `Shown`: a band is drawn over the
    values it may be, from its time to the next point's. `out_of` draws the ceiling it can reach (how many
    it was sent to) as a dashed line labelled in words."""
    zone = zone or timezone.get_current_timezone()
    points = [(p[0], _shown(p[1]), p[2] if len(p) > 2 else None) for p in points]
    if not points:
        return Chart(ident, title, "", None, None, empty)
    # As moments (UTC): compared and subtracted in one zone, two times would be read as clock times.
    start, end = start.astimezone(dt.UTC), max(end.astimezone(dt.UTC), points[-1][0].astimezone(dt.UTC))
    if end <= start:
        end = start + dt.timedelta(hours=1)
    final = points[-1][1]
    of = f" of {out_of}" if out_of is not None else ""

    def said(at: dt.datetime, label: str | None) -> str:
        return label[:1].lower() + label[1:] if label else f"by {uk_time(at, zone)}"

    description = (f"{_plural(final, one, counted)}{of} {said(points[-1][0], points[-1][2])}, "
                   f"from {uk_time(start, zone)}. ")
    description += "; ".join(f"{n} {said(at, label)}" for at, n, label in points[-6:]) + "."
    top = max(max(n.high for _at, n, _label in points), out_of or 0, 1)
    step = _nice_step(top, 4)
    top = step * math.ceil(top / step)
    height, plot_top, plot_bottom = 260, 30, 220
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT

    def x(at: dt.datetime) -> float:
        return left + (right - left) * ((at - start) / (end - start))

    def y(n: float) -> float:
        return plot_bottom - (plot_bottom - plot_top) * (n / top)

    parts = []
    for value in range(0, top + 1, step):  # the scale, lightly ruled
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>',
                                 left, _num(y(value)), right, _num(y(value)), MID_GREY))
        parts.append(_text(left - 6, y(value) + 5, str(value), anchor="end"))
    for at, label in _time_ticks(start, end, zone):
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>', _num(x(at)), plot_bottom,
                                 _num(x(at)), plot_bottom + 5, BLACK))
        parts.append(_text(min(max(x(at), left + 20), right - 20), plot_bottom + 22, label, anchor="middle"))
    parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"/>', left, plot_bottom,
                             right, plot_bottom, BLACK))
    if out_of is not None:
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" '
                                 'stroke-dasharray="8 5"/>', left, _num(y(out_of)), right, _num(y(out_of)), DARK_GREY))
        parts.append(_text(right, y(out_of) - 7, f"Sent to {out_of}", anchor="end", fill=DARK_GREY))
    # Each total holds from its time to the next one's: a line where it is shown, a band where it is not.
    # The line joins shown totals that follow each other; it never runs into or out of a band.
    held = [(start, exact(0))] + [(at, n) for at, n, _label in points]
    spans = [(since, until, value) for (since, value), (until, _) in zip(held, [*held[1:], (end, None)], strict=True)]
    path: list[str] = []
    for since, until, value in spans:
        if until <= since and not value.suppressed:  # a withheld total is drawn even at the very end
            continue
        if value.suppressed:
            if path:
                parts.append(format_html('<path d="{}" fill="none" stroke="{}" stroke-width="3"/>', "".join(path), BLUE))
                path = []
            parts.append(_withheld_box(x(since), x(until), y(value.low), y(value.high), BLUE, f"{value} by then"))
            continue
        path.append(f"V{_num(y(value.count))}" if path else f"M{_num(x(since))},{_num(y(value.count))}")
        path.append(f"H{_num(x(until))}")
    if path:
        parts.append(format_html('<path d="{}" fill="none" stroke="{}" stroke-width="3"/>', "".join(path), BLUE))
    for at, n, _label in points:
        if not n.suppressed:
            parts.append(_marker("circle", x(at), y(n.count), BLUE, 4, f"{n} by {uk_time(at, zone)}"))
    parts.append(_text(left, 18, heading, weight="bold"))
    svg = _svg(ident, title, description, height, "".join(parts))
    rows = tuple((label or uk_time(at, zone), f"{n}{of}") for at, n, label in points)
    return Chart(ident, title, description, svg, Table(title, (when_header, value_header), rows))


# --- a time line of events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How one kind of event is drawn: its name in the legend, its marker's shape and colour."""

    label: str
    shape: str
    colour: str


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    kind: str
    label: str


def timeline_chart(*, ident: str, title: str, events: Sequence[Event], kinds: dict[str, Kind],
                   start: dt.datetime | None = None, end: dt.datetime | None = None,
                   empty: str = "Nothing to show on the time line yet.", zone=None) -> Chart:
    """Events along one time axis, oldest on the left: a lane for each kind (named in words), each marker
    of that kind's shape, with the event's words as its tooltip and in the table."""
    zone = zone or timezone.get_current_timezone()
    events = sorted((e for e in events if e.kind in kinds), key=lambda e: e.at.astimezone(dt.UTC))
    if not events:
        return Chart(ident, title, "", None, None, empty)
    # As moments (UTC): compared and subtracted in one zone, two times would be read as clock times.
    start = min((start or events[0].at).astimezone(dt.UTC), events[0].at.astimezone(dt.UTC))
    end = max((end or events[-1].at).astimezone(dt.UTC), events[-1].at.astimezone(dt.UTC))
    if end - start < dt.timedelta(hours=1):
        end = start + dt.timedelta(hours=1)
    used = [k for k in kinds if any(e.kind == k for e in events)]
    counts = {k: sum(e.kind == k for e in events) for k in used}
    description = (f"From {uk_time(start, zone)} to {uk_time(end, zone)}: "
                   + ", ".join(f"{_plural(counts[k], kinds[k].label.lower(), kinds[k].label.lower())}" for k in used)
                   + ". The latest: " + "; ".join(f"{e.label} ({uk_time(e.at, zone)})" for e in events[-3:]) + ".")
    lane, top = 46, 10
    axis = top + lane * len(used) + 6
    height = axis + 36
    left, right = 16, WIDTH - MARGIN_RIGHT

    def x(at: dt.datetime) -> float:
        return left + 8 + (right - left - 16) * ((at - start) / (end - start))

    parts = []
    for index, key in enumerate(used):
        kind = kinds[key]
        middle = top + lane * index + 30
        if index:
            parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>', left, top + lane * index,
                                     right, top + lane * index, MID_GREY))
        parts.append(_marker(kind.shape, left + 6, top + lane * index + 11, kind.colour, 5))
        parts.append(_text(left + 18, top + lane * index + 16, f"{kind.label} ({counts[key]})", fill=BLACK))
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="2 4"/>', left,
                                 middle, right, middle, DARK_GREY))
        for event in events:
            if event.kind == key:
                parts.append(_marker(kind.shape, x(event.at), middle, kind.colour, 7,
                                     f"{kind.label}: {event.label}, {uk_time(event.at, zone)}"))
    parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"/>', left, axis, right,
                             axis, BLACK))
    for at, label in _time_ticks(start, end, zone):
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>', _num(x(at)), axis,
                                 _num(x(at)), axis + 5, BLACK))
        parts.append(_text(min(max(x(at), left + 20), right - 20), axis + 22, label, anchor="middle"))
    svg = _svg(ident, title, description, height, "".join(parts))
    rows = tuple((uk_time(e.at, zone), kinds[e.kind].label, e.label) for e in events)
    return Chart(ident, title, description, svg, Table(title, ("When", "Kind", "What"), rows))


# --- bars by week ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[int | Shown, ...]
    colour: str = BLUE
    pattern: str = "solid"  # solid, hatched, dotted, open: it reads in black and white


@dataclass
class _Defs:
    ident: str
    made: dict[tuple[str, str], str] = field(default_factory=dict)

    def fill(self, pattern: str, colour: str) -> str:
        """The fill for a pattern: a colour, or a <pattern> made once per chart (ids carry its ident)."""
        if pattern == "solid":
            return colour
        if pattern == "open":
            return "#ffffff"
        key = (pattern, colour)
        if key not in self.made:
            self.made[key] = f"{self.ident}-p{len(self.made)}"
        return f"url(#{self.made[key]})"

    def markup(self) -> str:
        out = []
        for (pattern, colour), pid in self.made.items():
            if pattern == "hatched":
                inner = format_html('<rect width="8" height="8" fill="#ffffff"/><path d="M-2,2 l4,-4 M0,8 l8,-8 '
                                    'M6,10 l4,-4" stroke="{}" stroke-width="2.5"/>', colour)
            else:  # dotted
                inner = format_html('<rect width="8" height="8" fill="#ffffff"/><circle cx="4" cy="4" r="2.2" '
                                    'fill="{}"/>', colour)
            out.append(format_html('<pattern id="{}" width="8" height="8" patternUnits="userSpaceOnUse">{}</pattern>',
                                   pid, inner))
        return "".join(out)


def bar_chart(*, ident: str, title: str, categories: Sequence[str], series: Sequence[Series],
              category_header: str = "Week", empty: str = "Nothing to show yet.", what: str = "") -> Chart:
    """Bars grouped by category (a week), one bar for each series side by side, each series with its own
    colour and fill pattern and named in the legend. Nothing counted at all: the sentence `empty`. A value
    withheld (a `Shown` that is suppressed) is a dashed outline over the values it may be, and a series with
    one has no total in the description (the total would give the withheld week away)."""
    values = [[_shown(v) for v in s.values] for s in series]
    if not categories or not any(v.suppressed or v.count for row in values for v in row):
        return Chart(ident, title, "", None, None, empty)
    totals = [(s.label.lower(), sum(v.count for v in row)) for s, row in zip(series, values, strict=True)
              if not any(v.suppressed for v in row)]
    withheld = next((v for row in values for v in row if v.suppressed), None)
    description = (f"{what + ', ' if what else ''}{len(categories)} {category_header.lower()}s from {categories[0]} "
                   f"to {categories[-1]}. "
                   + ("In all: " + ", ".join(f"{label} {t}" for label, t in totals) + ". " if totals else "")
                   + "; ".join(f"{c}: " + ", ".join(f"{s.label.lower()} {row[i]}" for s, row in zip(series, values, strict=True))
                               for i, c in enumerate(categories) if any(row[i].suppressed or row[i].count for row in values))
                   + "."
                   + (f" A dashed outline is {withheld}: not drawn exactly, so no one can be picked out." if withheld else ""))
    defs = _Defs(ident)
    top = max(v.high for row in values for v in row)
    step = _nice_step(top, 4)
    top = step * math.ceil(top / step)
    legend_h = 52 if withheld else 28
    plot_top, plot_bottom = legend_h + 14, legend_h + 214
    height = plot_bottom + 40
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT

    def y(n: float) -> float:
        return plot_bottom - (plot_bottom - plot_top) * (n / top)

    parts = []
    x_legend = left
    for s in series:  # the legend, in words, with each series' own fill
        parts.append(format_html('<rect x="{}" y="6" width="16" height="16" fill="{}" stroke="{}" stroke-width="1.5"/>',
                                 x_legend, defs.fill(s.pattern, s.colour), s.colour if s.pattern != "open" else BLACK))
        parts.append(_text(x_legend + 22, 20, s.label))
        x_legend += 30 + int(len(s.label) * FONT * 0.55)
    if withheld:
        parts.append(_withheld_box(left, left + 16, 46, 30, BLACK, str(withheld)))
        parts.append(_text(left + 22, 44, f"{str(withheld)[:1].upper()}{str(withheld)[1:]}: not drawn exactly"))
    for value in range(0, top + 1, step):
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>', left, _num(y(value)), right,
                                 _num(y(value)), MID_GREY))
        parts.append(_text(left - 6, y(value) + 5, str(value), anchor="end"))
    group = (right - left) / len(categories)
    bar = min(22.0, (group - 4) / len(series))
    label_every = max(1, math.ceil(len(categories) * 48 / (right - left)))  # no labels on top of each other
    for i, category in enumerate(categories):
        x0 = left + group * i + (group - bar * len(series)) / 2
        for j, (s, row) in enumerate(zip(series, values, strict=True)):
            n = row[i]
            if n.suppressed:
                parts.append(_withheld_box(x0 + bar * j, x0 + bar * (j + 1) - 1, y(n.low - 1), y(n.high), s.colour,
                                           f"{category}: {s.label.lower()} {n}"))
            elif n.count:
                parts.append(format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" stroke-width="1.5">'
                    '<title>{}</title></rect>', _num(x0 + bar * j), _num(y(n.count)), _num(bar - 1),
                    _num(plot_bottom - y(n.count)), defs.fill(s.pattern, s.colour),
                    s.colour if s.pattern != "open" else BLACK, f"{category}: {s.label.lower()} {n}"))
        if i % label_every == 0:
            parts.append(_text(left + group * i + group / 2, plot_bottom + 22, category, anchor="middle"))
    parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"/>', left, plot_bottom,
                             right, plot_bottom, BLACK))
    svg = _svg(ident, title, description, height, "".join(parts), defs.markup())
    rows = tuple((c, *(str(row[i]) for row in values)) for i, c in enumerate(categories))
    return Chart(ident, title, description, svg, Table(title, (category_header, *(s.label for s in series)), rows))
