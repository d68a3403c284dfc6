"""Working days and office hours (core/workdays.py): statutory deadlines skip weekends and the bank
holidays of England and Wales; office hours follow the settings and the London clock, through both clock
changes; malformed settings stop start-up; naive datetimes are refused."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.workdays import (
    LONDON,
    add_working_days,
    calendar_days_due,
    hours_due,
    in_office_hours,
    is_bank_holiday,
    is_working_day,
    next_office_moment,
    parse_working_days,
    parse_working_hours,
    same_working_day_end,
    working_days_due,
)

pytestmark = pytest.mark.anywhere

ROOT = Path(__file__).resolve().parent.parent


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _standard_office_hours(settings):
    # Every test starts from the defaults, whatever the environment running the suite says.
    settings.HARBOUR_WORKING_HOURS = (time(8, 0), time(18, 0))
    settings.HARBOUR_WORKING_DAYS = frozenset({0, 1, 2, 3, 4})


class TestWorkingDays:
    def test_weekdays_are_working_days_and_weekends_are_not(self):
        assert is_working_day(date(2026, 4, 1))  # Wednesday
        assert not is_working_day(date(2026, 4, 4))  # Saturday
        assert not is_working_day(date(2026, 4, 5))  # Sunday

    @pytest.mark.parametrize("day", [
        date(2026, 1, 1),  # New Year's Day
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 4),  # Early May
        date(2026, 5, 25),  # Spring
        date(2026, 8, 31),  # Summer
        date(2026, 12, 25),  # Christmas Day
        date(2026, 12, 28),  # Boxing Day falls on a Saturday, so Monday is the substitute
        date(2022, 1, 3),  # New Year's Day fell on a Saturday
        date(2022, 9, 19),  # the State Funeral of Queen Elizabeth II, a one-off
    ])
    def test_bank_holidays_are_not_working_days(self, day):
        assert is_bank_holiday(day)
        assert not is_working_day(day)

    def test_scottish_only_holidays_do_not_count(self):
        # 2 January and St Andrew's Day are Scottish bank holidays, not English ones.
        assert is_working_day(date(2026, 1, 2))
        assert is_working_day(date(2026, 11, 30))

    @pytest.mark.parametrize("year", [1990, 2000, 2050, 2100])
    def test_every_year_from_1990_to_2100_has_christmas_and_easter(self, year):
        christmas = date(year, 12, 25)
        assert is_bank_holiday(christmas)
        assert sum(is_bank_holiday(date(year, 1, 1) + timedelta(days=n)) for n in range(365)) >= 8

    def test_a_datetime_is_refused_where_a_date_is_meant(self):
        # A datetime never equals a date, so it would silently miss every bank holiday.
        with pytest.raises(TypeError, match="calendar date"):
            is_working_day(london(2026, 4, 3, 9, 0))


class TestWorkingDaysDue:
    def test_five_working_days_from_a_wednesday_skip_easter(self):
        due = working_days_due(london(2026, 4, 1, 10, 30), 5)
        assert due == london(2026, 4, 10, 23, 59)
        assert due.tzinfo is LONDON

    def test_fifteen_working_days_from_a_wednesday_skip_good_friday_and_easter_monday(self):
        assert working_days_due(london(2026, 4, 1, 10, 30), 15) == london(2026, 4, 24, 23, 59)

    def test_christmas_and_new_year_are_skipped(self):
        # Tuesday 23 December 2025: Wed 24, Mon 29, Tue 30, Wed 31 and Fri 2 January.
        assert working_days_due(london(2025, 12, 23, 16, 0), 5) == london(2026, 1, 2, 23, 59)

    def test_the_summer_bank_holiday_is_skipped(self):
        assert working_days_due(london(2026, 8, 27, 9, 0), 5) == london(2026, 9, 4, 23, 59)

    def test_a_saturday_is_day_zero(self):
        assert working_days_due(london(2026, 4, 11, 14, 0), 1) == london(2026, 4, 13, 23, 59)

    def test_day_zero_is_the_london_day_not_the_utc_day(self):
        # 23:30 UTC on Tuesday 30 June is 00:30 BST on Wednesday 1 July, so Wednesday is day 0.
        assert working_days_due(utc(2026, 6, 30, 23, 30), 1) == london(2026, 7, 2, 23, 59)

    def test_a_deadline_across_the_spring_clock_change_ends_at_2359_bst(self):
        due = working_days_due(london(2026, 3, 27, 12, 0), 1)
        assert due == london(2026, 3, 30, 23, 59)
        assert due.astimezone(UTC) == utc(2026, 3, 30, 22, 59)

    def test_fewer_than_one_working_day_is_refused(self):
        with pytest.raises(ValueError, match="same_working_day_end"):
            working_days_due(london(2026, 4, 1, 9, 0), 0)


class TestSameWorkingDayEnd:
    def test_a_working_day_ends_that_evening(self):
        assert same_working_day_end(london(2026, 4, 1, 9, 0)) == london(2026, 4, 1, 23, 59)

    def test_a_weekend_rolls_on_to_monday(self):
        assert same_working_day_end(london(2026, 4, 11, 9, 0)) == london(2026, 4, 13, 23, 59)

    def test_the_easter_weekend_rolls_on_to_tuesday(self):
        assert same_working_day_end(london(2026, 4, 3, 9, 0)) == london(2026, 4, 7, 23, 59)

    def test_christmas_rolls_on_past_the_substitute_boxing_day(self):
        assert same_working_day_end(london(2026, 12, 25, 9, 0)) == london(2026, 12, 29, 23, 59)


class TestCalendarDaysAndHours:
    def test_calendar_days_count_weekends_and_bank_holidays(self):
        assert calendar_days_due(london(2026, 4, 1, 10, 0), 3) == london(2026, 4, 4, 23, 59)
        assert calendar_days_due(london(2026, 4, 1, 10, 0), 0) == london(2026, 4, 1, 23, 59)

    def test_hours_are_elapsed_time_across_the_spring_clock_change(self):
        # 00:30 GMT on Sunday 29 March 2026; two real hours later the clocks read 03:30 BST.
        start = london(2026, 3, 29, 0, 30)
        due = hours_due(start, 2)
        assert due == utc(2026, 3, 29, 2, 30)
        assert due.tzinfo is UTC
        assert due.astimezone(LONDON).time() == time(3, 30)

    def test_a_day_of_hours_across_the_autumn_clock_change_is_24_real_hours(self):
        start = london(2026, 10, 24, 20, 0)
        due = hours_due(start, 24)
        assert due == utc(2026, 10, 25, 19, 0)
        assert due.astimezone(LONDON).time() == time(19, 0)  # GMT now, so the wall clock reads an hour earlier

    def test_counting_backwards_is_refused(self):
        with pytest.raises(ValueError, match="forward"):
            hours_due(london(2026, 4, 1, 9, 0), -1)
        with pytest.raises(ValueError, match="forward"):
            calendar_days_due(london(2026, 4, 1, 9, 0), -1)


class TestAddWorkingDays:
    def test_one_working_day_later_is_the_same_wall_clock_time(self):
        assert add_working_days(london(2026, 4, 1, 14, 30), 1) == london(2026, 4, 2, 14, 30)

    def test_friday_before_easter_moves_to_tuesday(self):
        result = add_working_days(london(2026, 4, 2, 14, 30), 1)
        assert result == london(2026, 4, 7, 14, 30)
        assert result.tzinfo is UTC

    def test_the_wall_clock_time_holds_across_the_spring_clock_change(self):
        # Friday 09:00 GMT (09:00 UTC) becomes Monday 09:00 BST (08:00 UTC).
        assert add_working_days(london(2026, 3, 27, 9, 0), 1) == utc(2026, 3, 30, 8, 0)

    def test_the_wall_clock_time_holds_across_the_autumn_clock_change(self):
        # Friday 09:00 BST (08:00 UTC) becomes Monday 09:00 GMT (09:00 UTC).
        assert add_working_days(london(2026, 10, 23, 9, 0), 1) == utc(2026, 10, 26, 9, 0)

    def test_a_repeated_autumn_time_on_a_sunday_lands_on_monday_at_that_time(self):
        # 01:30 on 25 October 2026 happens twice; either reading gives Monday 01:30 GMT.
        second_reading = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=1)
        assert add_working_days(second_reading, 1) == utc(2026, 10, 26, 1, 30)

    def test_zero_working_days_is_the_moment_itself(self):
        assert add_working_days(london(2026, 4, 4, 11, 0), 0) == utc(2026, 4, 4, 10, 0)


class TestOfficeHours:
    def test_opening_is_in_and_closing_is_out(self):
        assert not in_office_hours(london(2026, 4, 1, 7, 59))
        assert in_office_hours(london(2026, 4, 1, 8, 0))
        assert in_office_hours(london(2026, 4, 1, 17, 59))
        assert not in_office_hours(london(2026, 4, 1, 18, 0))

    def test_weekends_and_bank_holidays_are_closed(self):
        assert not in_office_hours(london(2026, 4, 4, 10, 0))  # Saturday
        assert not in_office_hours(london(2026, 4, 6, 10, 0))  # Easter Monday

    def test_office_hours_follow_the_london_clock_in_summer(self):
        # 07:30 UTC in June is 08:30 BST: open.
        assert in_office_hours(utc(2026, 6, 3, 7, 30))
        # 17:30 UTC in June is 18:30 BST: closed.
        assert not in_office_hours(utc(2026, 6, 3, 17, 30))

    def test_a_moment_in_office_hours_is_sent_now(self):
        moment = london(2026, 4, 1, 10, 15)
        result = next_office_moment(moment)
        assert result == moment
        assert result.tzinfo is UTC

    def test_early_morning_waits_for_opening_the_same_day(self):
        assert next_office_moment(london(2026, 4, 1, 7, 0)) == london(2026, 4, 1, 8, 0)

    def test_friday_evening_waits_for_monday(self):
        assert next_office_moment(london(2026, 4, 17, 19, 0)) == london(2026, 4, 20, 8, 0)

    def test_saturday_waits_for_monday(self):
        assert next_office_moment(london(2026, 4, 18, 10, 0)) == london(2026, 4, 20, 8, 0)

    def test_a_bank_holiday_monday_waits_for_tuesday(self):
        assert next_office_moment(london(2026, 8, 28, 19, 0)) == london(2026, 9, 1, 8, 0)

    def test_christmas_eve_evening_waits_until_after_boxing_day(self):
        assert next_office_moment(london(2026, 12, 24, 19, 0)) == london(2026, 12, 29, 8, 0)

    def test_new_years_eve_evening_waits_for_the_first_working_day(self):
        assert next_office_moment(london(2026, 12, 31, 19, 0)) == london(2027, 1, 4, 8, 0)

    def test_the_spring_clock_change_opens_at_0800_bst(self):
        result = next_office_moment(london(2026, 3, 27, 19, 0))
        assert result == utc(2026, 3, 30, 7, 0)
        assert result.astimezone(LONDON).time() == time(8, 0)

    def test_the_autumn_clock_change_opens_at_0800_gmt(self):
        result = next_office_moment(london(2026, 10, 23, 19, 0))
        assert result == utc(2026, 10, 26, 8, 0)
        assert result.astimezone(LONDON).time() == time(8, 0)

    def test_the_repeated_hour_of_the_autumn_change_waits_for_monday(self):
        assert next_office_moment(datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=1)) == utc(2026, 10, 26, 8, 0)


class TestCustomWorkingWeek:
    def test_a_four_day_week_with_later_hours(self, settings):
        settings.HARBOUR_WORKING_HOURS = (time(9, 30), time(16, 0))
        settings.HARBOUR_WORKING_DAYS = frozenset({0, 1, 3, 4})  # no Wednesdays
        assert not in_office_hours(london(2026, 4, 1, 10, 0))  # Wednesday
        assert in_office_hours(london(2026, 4, 2, 9, 30))
        assert not in_office_hours(london(2026, 4, 2, 9, 29))
        assert next_office_moment(london(2026, 3, 31, 16, 0)) == london(2026, 4, 2, 9, 30)

    def test_saturday_opening_still_closes_on_bank_holidays(self, settings):
        settings.HARBOUR_WORKING_DAYS = frozenset({5})
        assert in_office_hours(london(2026, 4, 4, 10, 0))
        # Saturday 26 December 2026 is Boxing Day.
        assert not in_office_hours(london(2026, 12, 26, 10, 0))
        assert next_office_moment(london(2026, 12, 24, 10, 0)) == london(2027, 1, 2, 8, 0)

    def test_a_sunday_opening_inside_the_spring_gap_opens_after_the_clocks_go_forward(self, settings):
        settings.HARBOUR_WORKING_HOURS = (time(1, 30), time(12, 0))
        settings.HARBOUR_WORKING_DAYS = frozenset({6})
        # 01:30 does not exist on 29 March 2026; read as GMT, it is 02:30 BST.
        assert next_office_moment(london(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 1, 30)

    def test_statutory_deadlines_ignore_the_office_week(self, settings):
        settings.HARBOUR_WORKING_DAYS = frozenset({5, 6})
        assert working_days_due(london(2026, 4, 1, 10, 30), 5) == london(2026, 4, 10, 23, 59)

    def test_an_empty_working_week_fails_loudly_instead_of_looping(self, settings):
        settings.HARBOUR_WORKING_DAYS = frozenset()
        with pytest.raises(ImproperlyConfigured, match="HARBOUR_WORKING_DAYS"):
            next_office_moment(london(2026, 4, 1, 19, 0))


class TestSettingsParsers:
    def test_settings_hold_the_parsed_environment_as_plain_data(self):
        # Read settings.py's own values: the autouse fixture has overridden django.conf.settings.
        import config.settings as settings_module

        opening, closing = settings_module.HARBOUR_WORKING_HOURS
        assert isinstance(opening, time) and isinstance(closing, time) and opening < closing
        assert isinstance(settings_module.HARBOUR_WORKING_DAYS, frozenset)
        assert settings_module.HARBOUR_WORKING_DAYS <= set(range(7))

    def test_the_defaults_parse_to_eight_till_six_monday_to_friday(self):
        assert parse_working_hours("08:00-18:00") == (time(8, 0), time(18, 0))
        assert parse_working_days("Mon-Fri") == frozenset({0, 1, 2, 3, 4})

    def test_a_malformed_environment_stops_start_up(self):
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", "HARBOUR_WORKING_DAYS": "Funday"},
        )
        assert result.returncode != 0
        assert "HARBOUR_WORKING_DAYS" in result.stderr
        assert "'Funday' is not a day of the week" in result.stderr

    def test_hours_allow_spaces_and_single_digit_hours(self):
        assert parse_working_hours(" 7:30 - 17:45 ") == (time(7, 30), time(17, 45))

    @pytest.mark.parametrize(("value", "message"), [
        ("25:00-18:00", "real times of day"),
        ("08:00-18:60", "real times of day"),
        ("18:00-08:00", "open before it closes"),
        ("08:00-08:00", "open before it closes"),
        ("8am-6pm", "such as 08:00-18:00"),
        ("08:00", "such as 08:00-18:00"),
        ("", "such as 08:00-18:00"),
    ])
    def test_malformed_hours_are_refused(self, value, message):
        with pytest.raises(ImproperlyConfigured, match=message) as caught:
            parse_working_hours(value)
        assert "HARBOUR_WORKING_HOURS" in str(caught.value)
        assert repr(value) in str(caught.value)

    @pytest.mark.parametrize(("value", "expected"), [
        ("Mon-Fri", {0, 1, 2, 3, 4}),
        ("Mon,Tue,Thu", {0, 1, 3}),
        ("mon-wed, fri", {0, 1, 2, 4}),
        ("Sun-Thu", {6, 0, 1, 2, 3}),
        ("Saturday", {5}),
        ("Wed-Wed", {2}),
    ])
    def test_day_ranges_and_lists(self, value, expected):
        assert parse_working_days(value) == frozenset(expected)

    @pytest.mark.parametrize(("value", "culprit"), [
        ("Funday", "'Funday'"),
        ("Mon-Funday", "'Funday'"),
        ("Mon-", "''"),
        ("1-5", "'1'"),
    ])
    def test_unknown_days_are_refused(self, value, culprit):
        with pytest.raises(ImproperlyConfigured, match="not a day of the week") as caught:
            parse_working_days(value)
        assert "HARBOUR_WORKING_DAYS" in str(caught.value)
        assert culprit in str(caught.value)

    def test_no_days_at_all_is_refused(self):
        with pytest.raises(ImproperlyConfigured, match="at least one day"):
            parse_working_days(" , ")

    def test_the_setting_name_is_named_in_the_error(self):
        with pytest.raises(ImproperlyConfigured, match="OTHER_HOURS"):
            parse_working_hours("nonsense", name="OTHER_HOURS")


class TestNaiveDatetimesAreRefused:
    @pytest.mark.parametrize("call", [
        lambda moment: working_days_due(moment, 5),
        lambda moment: same_working_day_end(moment),
        lambda moment: calendar_days_due(moment, 1),
        lambda moment: hours_due(moment, 1),
        lambda moment: add_working_days(moment, 1),
        lambda moment: in_office_hours(moment),
        lambda moment: next_office_moment(moment),
    ])
    def test_naive_input_raises_a_clear_error(self, call):
        with pytest.raises(ValueError, match="timezone-aware datetime"):
            call(datetime(2026, 4, 1, 9, 0))

    def test_a_plain_date_is_not_a_moment(self):
        with pytest.raises(TypeError, match="timezone-aware datetime"):
            next_office_moment(date(2026, 4, 1))
