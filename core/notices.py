"""What Harbour tells one person in Harbour, each thing once (core.models.Notice).

A wing says something with `notify_once(recipient, kind, key, …)` in its own transaction: the notice's
key ("clocks.due_soon:7@1763461800": obligation 7, for that due time) is unique among a person's open
notices, so two workers, a task and the sweep, or a task re-run after a crash, write it once and the
second is told it was already said. A new occasion is a new key (a recomputed due time); closing a notice
frees its key, so a later failure of the same thing is told afresh.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import Notice


def key(kind: str, about_id: int | None, when: dt.datetime | None = None) -> str:
    """The key of a notice about one object of a wing, for one occasion (a due time), as every wing makes it."""
    occasion = "" if when is None else f"@{int(when.timestamp())}"
    return f"{kind}:{'' if about_id is None else about_id}{occasion}"


def notify_once(recipient, kind: str, *, about_id: int | None = None, when: dt.datetime | None = None,
                text: str = "", url: str = "") -> Notice | None:
    """Tell one person one thing, once: the notice, or None if it was already said (and is still open)."""
    try:
        with transaction.atomic():
            return Notice.objects.create(recipient=recipient, kind=kind, key=key(kind, about_id, when),
                                         about_id=about_id, text=text[:300], url=url)
    except IntegrityError:
        return None


def open_notices(kind: str, about_id: int | None = None):
    """Open notices of a kind (about one object), for the wing to show or close."""
    notices = Notice.objects.filter(kind=kind, closed_at__isnull=True)
    return notices if about_id is None else notices.filter(about_id=about_id)


def close(notices, actor=None) -> list[Notice]:
    """Close these notices (the matter is over; the caller has them locked): their keys are free again."""
    closed = list(notices)
    now = timezone.now()
    for notice in closed:
        notice.closed_at, notice.closed_by = now, actor
    Notice.objects.bulk_update(closed, ["closed_at", "closed_by"])
    return closed


def mark_seen(recipient, kinds) -> int:
    """The person has seen their notices of these kinds."""
    return Notice.objects.filter(recipient=recipient, kind__in=kinds, seen_at__isnull=True).update(
        seen_at=timezone.now())
