"""Nothing that singles a person out (issue 18, point 4): every count about people shown to anyone but the
people counted goes through config/small_counts.py. Below HARBOUR_SMALL_COUNT (5) it says "fewer than 5" on
a page and is `null` with `"suppressed": true` in the API; a part of a group is withheld too when the rest
of the group is that small, so no pair of counts shown together differs by fewer than 5 people where the
smaller is withheld. Tested on the rule itself, for every small group, and on each surface: the Staff
support tab, its API and the summary; a briefing's read count on its page, the lists, the approvals board,
the API and the board's socket; a debrief's answers; and the wellbeing leads' chart."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured

from comms import services as comms
from comms.models import InboxItem
from config.small_counts import alone, part
from support import selectors
from support import services as support
from support.models import FollowUp
from tests.factories import make_user
from tests.test_configuration import django

pytestmark = pytest.mark.django_db

FEWER = {"count": None, "suppressed": True, "words": "fewer than 5"}
ALL_BUT = {"count": None, "suppressed": True, "words": "all but fewer than 5"}


def shown(n: int) -> dict:
    return {"count": n, "suppressed": False, "words": str(n)}


# --- the rule ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [3, 4, 5, 6, 7])
def test_no_hidden_part_of_any_group_can_be_told_from_what_is_shown(settings, k):
    """For every group up to three times k, and every part of it: what a reader sees narrows the part to
    at least two numbers unless it is shown, and what is shown never leaves a small remainder."""
    settings.HARBOUR_SMALL_COUNT = k
    for of in range(0, 3 * k + 3):
        said: dict[str, set[int]] = {}
        for n in range(of + 1):
            count = part(n, of)
            said.setdefault(count.words, set()).add(n)
            if count.suppressed:
                assert count.low <= n <= count.high and count.words != str(n)
                continue
            assert count.count == n
            if of:  # a shown part: none, all, or both it and the rest of the group at least k
                assert n in (0, of) or (n >= k and of - n >= k), (k, of, n)
                assert of >= k, (k, of, n)
        for words, values in said.items():
            if words.isdigit():
                assert values == {int(words)}
            elif of:
                assert len(values) >= 2, (k, of, words, values)  # never one number in words
                if words.startswith("fewer than"):
                    assert max(values) < k
                if words.startswith("all but"):
                    assert min(of - v for v in values) >= 1 and max(of - v for v in values) < k


def test_a_count_on_its_own_says_fewer_than_5_from_1_to_4():
    assert [alone(n).words for n in range(7)] == ["0", *["fewer than 5"] * 4, "5", "6"]
    assert alone(3).as_api() == FEWER and alone(12).as_api() == shown(12)


@pytest.mark.parametrize(("n", "of", "words"), [
    (0, 3, "fewer than 5"),  # a group of three: not even "none of them" is said
    (3, 3, "fewer than 5"),
    (0, 6, "0"), (6, 6, "6"),  # none, or all, of a group of six: nobody is told apart
    (1, 6, "fewer than 5"),
    (5, 6, "all but fewer than 5"),  # "5 of 6" would pick out the one
    (4, 6, "all but fewer than 5"),  # ...and so would "4 of 6" beside it: the boundary moves
    (5, 10, "5"), (6, 10, "all but fewer than 5"), (4, 10, "fewer than 5"),
    (7, 14, "7"), (10, 14, "all but fewer than 5"),
])
def test_parts_of_a_group(n, of, words):
    assert part(n, of).words == words


def test_the_brief_s_complementary_example_cannot_be_worked_out():
    """Six people: five completed, one declined. "6" and "completed 5" would give "declined 1" away."""
    people, completed, declined = alone(6), part(5, 6), part(1, 6)
    assert people.words == "6" and completed.suppressed and declined.suppressed
    # what a reader is left with: completed from 4 to 5 and declined from 1 to 3, never one pair
    assert (completed.low, completed.high) == (4, 5) and (declined.low, declined.high) == (1, 3)


def test_the_threshold_is_one_setting(settings):
    settings.HARBOUR_SMALL_COUNT = 7
    assert alone(6).words == "fewer than 7" and part(7, 14).words == "7"
    settings.HARBOUR_SMALL_COUNT = 2
    with pytest.raises(ImproperlyConfigured):
        alone(1)


def test_a_threshold_below_3_stops_start_up():
    result = django("check", HARBOUR_SMALL_COUNT="2")
    assert result.returncode != 0 and "HARBOUR_SMALL_COUNT must be 3 or more" in result.stderr


def nothing_told_apart(counts: dict, k: int = 5) -> None:
    """The API's counts, as a reader would check them: no shown count is small, and no shown part of the
    register differs from the shown number on it by fewer than k people."""
    people = counts["people"]["count"]
    for name, count in counts.items():
        if name == "small_count" or count["suppressed"]:
            continue
        assert count["count"] == 0 or count["count"] >= k, (name, count)
        if people is not None and name != "people":
            assert people - count["count"] == 0 or people - count["count"] >= k, (name, count, people)


