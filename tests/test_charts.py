"""The pictures' drawing module (config/charts.py, issue 11 point 7): every picture is well-formed SVG,
labelled in words for a screen reader, escapes what it is given, says a sentence instead of drawing an
empty frame, scales to its container and is followed by a table of the same numbers."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from config import charts

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
