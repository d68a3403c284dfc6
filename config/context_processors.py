"""The header's menu: which pages to offer this person. Each is offered to those who use it (issue 11):
the Clocks board to senior leaders and incidents' leads, the approvals board to those who approve in some
incident, the API (their tokens, and the documentation) to administrators and anyone who has made a token. One query, read only when
a page draws the menu. (Staff support's own links come from support/context_processors.py.)"""

from __future__ import annotations

from functools import cache


def nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def offered() -> dict[str, bool]:
        from django.db.models import Exists, OuterRef

        from comms.selectors import board_incidents
        from incidents.models import ApiToken, User
        from incidents.policy import COMMAND, incidents

        row = User.objects.filter(pk=user.pk).annotate(
            leads=Exists(incidents.restrict(user, COMMAND)),
            approves=Exists(board_incidents(user)),
            token=Exists(ApiToken.objects.filter(user=OuterRef("pk"))),
        ).values("leads", "approves", "token").first() or {}
        return {"clocks": bool(user.is_senior_leader or row.get("leads")), "approvals": bool(row.get("approves")),
                "api": bool(user.is_staff or row.get("token"))}

    return {"nav": offered}


def small_count(request):
    """HARBOUR_SMALL_COUNT, for the pages that say a count is withheld below it (core/small_counts.py)."""
    from core.small_counts import threshold

    return {"small_count": threshold()}
