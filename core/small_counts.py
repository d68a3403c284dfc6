"""Counts about people, as they may be shown to anyone but the people counted (issue 18, point 4): the one
place every such count goes through, on pages, in the API, on sockets and in pictures.

Small-number suppression, as official statistics practise it. With k = `HARBOUR_SMALL_COUNT` (default 5,
at least 3):

- **A count on its own** (`alone`: the answers to a debrief, check-ins by week): shown exactly when it is 0
  or at least k; from 1 to k - 1 it says "fewer than 5". Zero is shown: "nobody" points at nobody, and
  hiding it would make every week and every answer look alike for no one's sake.
- **A count of part of a group whose size the reader knows** (`part`: how many of the 12 a briefing went
  to have read it; how many of the people on a register have a check-in past its time). A reader who
  sees "12" and "11 have read it" knows one has not: the difference is a count too. So the part is shown
  exactly only when both it and the rest of the group are at least k, or when it is none or all of the
  group (nobody is told apart from anyone else then). Otherwise it is said in words that stay true and
  never narrow to one number: "fewer than 5" when the part is small, "all but fewer than 5" when the
  rest is. In a group of k + 1 those two would leave "all but fewer than 5" with one possible value (k),
  so the boundary moves by one; where even that leaves a phrase with a single value (k = 3), every such
  part says "some, not all". No pair of counts shown together then differs by fewer than k people where
  the smaller is hidden: each part is checked against the whole it is a part of.
- **A group smaller than k** (`part` with `of` < k): nothing about it is shown, zeros included (with
  three people on a register, "0 declined" says something about each of them). The group's own size is
  itself a count on its own (`alone`): "fewer than 5", unless the reader is told it anyway (a briefing's
  recipients are chosen and listed by the people who see how many have read it).

Who sees exact numbers: the person counted (My support shows everything about you), and a reader who is
shown the list the count summarises (those arranging a debrief see every invitee's answer, so the answers'
counts are theirs exactly; approvers see each email's delivery state). Everyone else, including wellbeing
leads on the incident's counts and their charts, goes through here.

What this does not do: when several overlapping parts of one group are all small and together must cover
it (four people completed a check-in, four declined, on a register of eight), a reader who assumes that
everyone on the register has a check-in in some state can add them up and find both were four. Nobody is
told apart by it, and it takes the numbers at their extreme; the counts shown are the ones the issue
asks for, and a table audit of every combination is more than these few counts need.

In the API a count is `{"count": 12, "suppressed": false, "words": "12"}` or
`{"count": null, "suppressed": true, "words": "fewer than 5"}` (`SmallCountSerializer`), each on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

LEAST = 3  # below this "fewer than k" would be one number (k = 2: "fewer than 2" is 1)


def threshold() -> int:
    """k: read when asked, so a test (or an organisation's setting) changes it everywhere at once."""
    k = settings.HARBOUR_SMALL_COUNT
    if k < LEAST:
        raise ImproperlyConfigured(f"HARBOUR_SMALL_COUNT must be at least {LEAST}; it is {k}.")
    return k


@dataclass(frozen=True)
class Shown:
    """A count as a reader may see it: the number (None when it is not shown), the words a page prints, and
    the least and most it could be for all the reader can tell (the same number when shown)."""

    count: int | None
    words: str
    low: int
    high: int

    @property
    def suppressed(self) -> bool:
        return self.count is None

    def __bool__(self) -> bool:
        """Whether there may be anyone at all: a withheld count is never 0, a shown 0 is nothing."""
        return self.high > 0

    def __str__(self) -> str:
        return self.words

    def as_api(self) -> dict:
        return {"count": self.count, "suppressed": self.suppressed, "words": self.words}


def exact(n: int) -> Shown:
    """A count shown as it is: to the person counted, or to someone shown the list it summarises."""
    return Shown(n, str(n), n, n)


def fewer_than() -> str:
    return f"fewer than {threshold()}"


def alone(n: int) -> Shown:
    """A count with nothing beside it that it is a part of: "fewer than 5" from 1 to 4."""
    k = threshold()
    if n == 0 or n >= k:
        return exact(n)
    return Shown(None, fewer_than(), 1, k - 1)


def part(n: int, of: int) -> Shown:
    """`n` people of a group of `of`, for a reader who may know how many the group holds."""
    if not 0 <= n <= of:
        raise ValueError(f"A part ({n}) of a group of {of} cannot be bigger than the group, or below 0.")
    k = threshold()
    if of == 0:
        return exact(0)
    if of < k:
        return Shown(None, fewer_than(), 0, k - 1)
    if n in (0, of) or k <= n <= of - k:
        return exact(n)
    small, rest = _phrases(of, k)
    for values, words in ((small, fewer_than()), (rest, f"all but {fewer_than()}")):
        if n in values:
            return Shown(None, words, values[0], values[-1])
    return Shown(None, "some, not all", 1, of - 1)


def _phrases(of: int, k: int) -> tuple[range, range]:
    """Which hidden parts of a group of `of` say "fewer than k" and which "all but fewer than k": each
    phrase true of every value it stands for, and standing for two values at least (one value would be
    the number itself). Both empty: every hidden part says "some, not all"."""
    small = range(1, min(k - 1, of - 1) + 1)  # a small part
    rest = range(max(k, of - k + 1), of)  # the rest of the group is small (and the part is not)
    if len(rest) == 1 and small[-1] >= of - k + 1:  # "all but fewer than k" is true of the largest small part too
        small, rest = small[:-1], range(small[-1], of)
    if len(small) < 2 or len(rest) == 1:
        return range(0), range(0)
    return small, rest


class SmallCountSerializer(serializers.Serializer):
    """One count about people, which may be withheld on its own (core/small_counts.py)."""

    count = serializers.IntegerField(allow_null=True, help_text="The number, or null when it is withheld "
                                     "because it is small enough to point to a person (see `suppressed`).")
    suppressed = serializers.BooleanField(help_text="True when the number is withheld: fewer than "
                                          "HARBOUR_SMALL_COUNT (5), or the rest of its group is.")
    words = serializers.CharField(help_text="As a page says it: “12”, “fewer than 5”, “all but fewer than 5” or "
                                  "“some, not all”.")

    def to_representation(self, instance: Shown) -> dict:
        return instance.as_api()
