"""The pictures' drawing module (core/charts.py, issue 11 point 7): every picture is well-formed SVG,
labelled in words for a screen reader, escapes what it is given, says a sentence instead of drawing an
empty frame, scales to its container and is followed by a table of the same numbers."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from core import charts

pytestmark = pytest.mark.anywhere

SVG = "{http://www.w3.org/2000/svg}"
LONDON = ZoneInfo("Europe/London")
START = dt.datetime(2026, 11, 24, 9, 0, tzinfo=LONDON)


def _xml(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - markup this test made, not untrusted input


def _svg(chart: charts.Chart) -> ET.Element:
    root = _xml(str(chart.svg))
    assert root.tag == f"{SVG}svg"
    return root


def _figure(chart: charts.Chart) -> ET.Element:
    return _xml(str(chart))  # the whole figure, table and all, is well-formed too


def _reads(**kwargs) -> charts.Chart:
    points = [(START + dt.timedelta(hours=1), 2), (START + dt.timedelta(hours=3), 5)]
    return charts.step_chart(ident="reads", title="Reads of “Update”", points=kwargs.pop("points", points),
                             start=START, end=START + dt.timedelta(hours=6), out_of=8, zone=LONDON, **kwargs)


def _timeline(events=None) -> charts.Chart:
    kinds = {"decision": charts.Kind("Decisions", "diamond", charts.BLUE),
             "status": charts.Kind("Status changes", "square", charts.GREEN)}
    events = events if events is not None else [
        charts.Event(START, "status", "Opened"),
        charts.Event(START + dt.timedelta(days=1), "decision", "Decision 1: tell the staff"),
        charts.Event(START + dt.timedelta(days=2), "status", "Closed"),
        charts.Event(START + dt.timedelta(days=2), "other", "Not drawn: no kind for it"),
    ]
    return charts.timeline_chart(ident="tl", title="Time line", events=events, kinds=kinds, zone=LONDON)


def _bars(values=((1, 2, 0), (0, 3, 1), (1, 0, 0))) -> charts.Chart:
    due, done, declined = values
    return charts.bar_chart(ident="weeks", title="Check-ins by week", categories=["W1", "W2", "W3"], series=[
        charts.Series("Due", due), charts.Series("Done", done, charts.GREEN, "hatched"),
        charts.Series("Declined", declined, charts.PURPLE, "dotted")])


ALL = [_reads, _timeline, _bars]


@pytest.mark.parametrize("make", ALL)
def test_every_picture_is_valid_svg_labelled_by_its_title_and_description(make):
    chart = make()
    root = _svg(chart)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == chart.title and desc.text == chart.description and len(desc.text) > 20
    _figure(chart)


@pytest.mark.parametrize("make", ALL)
def test_every_picture_scales_to_its_container(make):
    root = _svg(make())
    assert root.get("width") == "100%" and root.get("height") is None
    assert root.get("viewBox").startswith(f"0 0 {charts.WIDTH} ")


@pytest.mark.parametrize("make", ALL)
def test_every_picture_is_followed_by_a_table_of_its_numbers(make):
    figure = _figure(make())
    table = figure.find(".//table")
    assert table is not None and table.get("class").startswith("govuk-table")
    assert figure.find(".//details/summary/span").text == "Show the numbers as a table"
    assert table.find("caption").text and len(table.findall("./thead/tr/th")) >= 2


def test_the_reads_chart_counts_up_to_how_many_it_was_sent_to():
    chart = _reads()
    assert chart.description.startswith("5 people of 8 by 24 Nov 2026, 12:00")
    rows = [[td.text for td in tr] for tr in _figure(chart).findall(".//tbody/tr")]
    assert rows == [["24 Nov 2026, 10:00", "2 of 8"], ["24 Nov 2026, 12:00", "5 of 8"]]
    assert "Sent to 8" in str(chart.svg)


def test_the_timeline_draws_each_kind_in_its_own_lane_with_its_own_shape_and_leaves_out_unknown_kinds():
    chart = _timeline()
    root = _svg(chart)
    words = [t.text for t in root.iter(f"{SVG}text")]
    assert "Decisions (1)" in words and "Status changes (2)" in words
    assert len(root.findall(f".//{SVG}polygon")) == 2  # the decision: its lane's key and its marker
    rows = [[td.text for td in tr] for tr in _figure(chart).findall(".//tbody/tr")]
    assert [r[1:] for r in rows] == [["Status changes", "Opened"], ["Decisions", "Decision 1: tell the staff"],
                                     ["Status changes", "Closed"]]
    assert "1 decisions" in chart.description and "2 status changes" in chart.description


def test_the_bars_use_patterns_as_well_as_colours_and_name_them_in_a_legend():
    chart = _bars()
    root = _svg(chart)
    patterns = root.findall(f".//{SVG}defs/{SVG}pattern")
    assert len(patterns) == 2 and all(p.get("id").startswith("weeks-") for p in patterns)
    assert {"Due", "Done", "Declined"} <= {t.text for t in root.iter(f"{SVG}text")}
    rows = [[td.text for td in tr] for tr in _figure(chart).findall(".//tbody/tr")]
    assert rows == [["W1", "1", "0", "1"], ["W2", "2", "3", "0"], ["W3", "0", "1", "0"]]
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 5  # a zero draws nothing


def test_words_given_are_escaped_everywhere():
    nasty = '<script>alert("x")</script> & “quotes”'
    chart = charts.timeline_chart(ident="x", title=nasty, kinds={"k": charts.Kind(nasty, "circle", charts.BLUE)},
                                  events=[charts.Event(START, "k", nasty)], zone=LONDON)
    markup = str(chart)
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert _svg(chart).find(f"{SVG}title").text == nasty  # read back as the words given
    bars = charts.bar_chart(ident="b", title="t", categories=[nasty], series=[charts.Series(nasty, (3,))])
    assert "<script>" not in str(bars)
    _figure(bars)


@pytest.mark.parametrize("chart", [
    _reads(points=[]), _timeline(events=[]), _bars(values=((0, 0, 0), (0, 0, 0), (0, 0, 0))),
    charts.bar_chart(ident="none", title="t", categories=[], series=[], empty="No check-ins in these weeks."),
], ids=["reads", "timeline", "bars", "no weeks"])
def test_no_data_says_a_sentence_instead_of_drawing_an_empty_chart(chart):
    markup = str(chart)
    assert chart.is_empty and "<svg" not in markup and "<table" not in markup
    assert markup.startswith('<p class="govuk-body harbour-chart__empty"') and len(_xml(markup).text) > 5


def test_the_scale_goes_up_in_round_steps_past_the_largest_value():
    root = _svg(_bars(values=((17, 0, 0), (0, 0, 0), (0, 0, 0))))
    numbers = [int(t.text) for t in root.iter(f"{SVG}text") if t.text.isdigit()]
    assert numbers == [0, 5, 10, 15, 20]
    assert charts._nice_step(3) == 1 and charts._nice_step(240, 4) == 100


def test_the_time_axis_is_labelled_in_local_time_in_round_steps():
    ticks = charts._time_ticks(START, START + dt.timedelta(hours=6), LONDON)
    assert [label for _at, label in ticks] == ["10:00", "12:00", "14:00"]  # every two hours, on the hour
    days = charts._time_ticks(START, START + dt.timedelta(days=3), LONDON)
    assert [label for _at, label in days] == ["25 Nov", "26 Nov", "27 Nov"]
    # Across the change of the clocks, still at midnight.
    spring = charts._time_ticks(dt.datetime(2026, 3, 27, tzinfo=LONDON), dt.datetime(2026, 3, 31, tzinfo=LONDON), LONDON)
    assert all(at.hour == 0 for at, _label in spring)


def test_a_table_can_be_shown_open_instead_of_folded():
    chart = _reads()
    shown = charts.Chart(chart.ident, chart.title, chart.description, chart.svg, chart.table, table_open=True)
    assert "<details" not in str(shown) and "<table" in str(shown)


def test_one_reader_is_one_person():
    chart = _reads(points=[(START + dt.timedelta(hours=1), 1)])
    assert chart.description.startswith("1 person of 8 by")


def test_a_span_too_short_for_round_ticks_is_labelled_at_its_ends():
    ticks = charts._time_ticks(START + dt.timedelta(minutes=5), START + dt.timedelta(minutes=40), LONDON)
    assert [label for _at, label in ticks] == ["09:05", "09:40"]


# --- the days the clocks change (Europe/London: the last Sunday of March and of October) -------------------
#
# Ticks are real moments, at round local clock times. In March 01:00 never happens (01:00 GMT is 02:00 BST), so
# there is no 01:00 tick. In October 01:00 happens twice: both ticks are drawn, an hour apart, labelled
# "01:00 BST" and then "01:00 GMT" (only a time the clock shows twice carries its zone's abbreviation).

UTC = dt.UTC
SPRING, AUTUMN = dt.date(2026, 3, 29), dt.date(2026, 10, 25)


def _local_reading(at: dt.datetime, label: str) -> bool:
    """The label is how a clock in London reads at that moment: "01:00", "01:00 BST" or "29 Mar"."""
    local = at.astimezone(LONDON)
    return label in (f"{local:%H:%M}", f"{local:%H:%M %Z}", f"{local.day} {local:%b}")


def _assert_honest(ticks: list[tuple[dt.datetime, str]]) -> None:
    moments = [at.astimezone(UTC) for at, _label in ticks]
    assert all(a < b for a, b in zip(moments, moments[1:], strict=False)), ticks  # in order, never two at once
    assert len({label for _at, label in ticks}) == len(ticks), ticks  # no label twice
    assert all(_local_reading(at, label) for at, label in ticks), ticks


def _tick_marks(root: ET.Element) -> list[tuple[float, str]]:
    """The time axis as drawn: each tick mark's x, with the label under it (the labels, in order)."""
    marks = [line for line in root.iter(f"{SVG}line")  # short upright strokes below the axis
             if line.get("x1") == line.get("x2") and float(line.get("y2")) - float(line.get("y1")) == 5]
    below = float(marks[0].get("y1")) + 22  # where the charts write a tick's label
    labels = [t.text for t in root.iter(f"{SVG}text") if float(t.get("y")) == below]
    return list(zip([float(m.get("x1")) for m in marks], labels, strict=True))


@pytest.mark.parametrize("zone_of_the_ends", [UTC, LONDON], ids=["ends-in-utc", "ends-in-london"])
def test_hourly_ticks_across_the_october_change_show_the_repeated_hour_twice(zone_of_the_ends):
    start = dt.datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # 00:00 BST
    end = start + dt.timedelta(hours=3)  # 02:00 GMT, three hours on (added in UTC: in London it would be 03:00)
    ticks = charts._time_ticks(start.astimezone(zone_of_the_ends), end.astimezone(zone_of_the_ends), LONDON)
    _assert_honest(ticks)
    assert [label for _at, label in ticks] == ["00:00", "01:00 BST", "01:00 GMT", "02:00"]
    moments = [at.astimezone(UTC) for at, _label in ticks]
    assert all(b - a == dt.timedelta(hours=1) for a, b in zip(moments, moments[1:], strict=False))


@pytest.mark.parametrize("zone_of_the_ends", [UTC, LONDON], ids=["ends-in-utc", "ends-in-london"])
def test_hourly_ticks_across_the_march_change_skip_the_hour_that_never_happens(zone_of_the_ends):
    start = dt.datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 00:00 GMT
    end = start + dt.timedelta(hours=3)  # 04:00 BST
    ticks = charts._time_ticks(start.astimezone(zone_of_the_ends), end.astimezone(zone_of_the_ends), LONDON)
    _assert_honest(ticks)
    assert [label for _at, label in ticks] == ["00:00", "02:00", "03:00", "04:00"]  # 01:00 GMT is 02:00 BST
    moments = [at.astimezone(UTC) for at, _label in ticks]
    assert all(b - a == dt.timedelta(hours=1) for a, b in zip(moments, moments[1:], strict=False))


@pytest.mark.parametrize("day", [SPRING, AUTUMN], ids=["march", "october"])
@pytest.mark.parametrize(("hours", "every"), [(6, 2), (12, 3), (18, 6)])
def test_longer_hour_steps_across_a_change_stay_on_round_local_hours(day, hours, every):
    # Round local hours, so the real gap either side of the change is an hour shorter or longer than the rest.
    start = charts.zone_date(day, LONDON).astimezone(UTC) - dt.timedelta(hours=hours // 2)
    ticks = charts._time_ticks(start, start + dt.timedelta(hours=hours), LONDON)
    _assert_honest(ticks)
    assert len(ticks) >= 3
    assert {at.astimezone(LONDON).hour % every for at, _label in ticks} == {0}, ticks
    assert all(at.astimezone(LONDON).minute == 0 for at, _label in ticks), ticks


@pytest.mark.parametrize(("first", "last", "short"), [
    (dt.date(2026, 3, 27), dt.date(2026, 3, 31), (SPRING, dt.timedelta(hours=23))),
    (dt.date(2026, 10, 24), dt.date(2026, 10, 27), (AUTUMN, dt.timedelta(hours=25))),
], ids=["march", "october"])
def test_daily_ticks_across_a_change_are_at_each_local_midnight(first, last, short):
    ticks = charts._time_ticks(charts.zone_date(first, LONDON).astimezone(UTC),
                               charts.zone_date(last, LONDON).astimezone(UTC), LONDON)
    _assert_honest(ticks)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    assert [label for _at, label in ticks] == [f"{d.day} {d:%b}" for d in days]
    assert all(at.astimezone(LONDON).time() == dt.time(0) for at, _label in ticks)
    moments = {at.astimezone(LONDON).date(): at.astimezone(UTC) for at, _label in ticks}
    day, length = short
    assert moments[day + dt.timedelta(days=1)] - moments[day] == length  # the day of the change, as long as it was


@pytest.mark.parametrize(("start", "labels"), [
    (dt.datetime(2026, 10, 24, 23, 0, tzinfo=UTC), ["00:00", "01:00 BST", "01:00 GMT", "02:00"]),
    (dt.datetime(2026, 3, 29, 0, 0, tzinfo=UTC), ["00:00", "02:00", "03:00", "04:00"]),
], ids=["october", "march"])
def test_the_charts_draw_the_ticks_of_a_change_where_their_moments_are(start, labels):
    # Given in London time, as a caller may: the positions must still measure moments, not clock times.
    start, end = start.astimezone(LONDON), (start + dt.timedelta(hours=3)).astimezone(LONDON)  # 3 hours apart
    reads = charts.step_chart(ident="r", title="Reads", points=[(start + dt.timedelta(hours=2), 1)], start=start,
                              end=end, zone=LONDON)
    events = [charts.Event(start, "status", "Opened"), charts.Event(end, "status", "Stabilising")]
    line = charts.timeline_chart(ident="t", title="Time line", events=events,
                                 kinds={"status": charts.Kind("Status changes", "square", charts.GREEN)}, zone=LONDON)
    for chart in (reads, line):
        drawn = _tick_marks(_svg(chart))
        assert [label for _x, label in drawn] == labels
        xs = [x for x, _label in drawn]
        assert all(a < b for a, b in zip(xs, xs[1:], strict=False)), drawn  # left to right, never two at one x
        gaps = [round(b - a) for a, b in zip(xs, xs[1:], strict=False)]
        assert max(gaps) - min(gaps) <= 1, drawn  # an hour apart each, as they are
