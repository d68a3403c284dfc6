"""What every page needs from staff support: the header's links, and how many support notices the
person has not read yet. One query, whatever the page."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce


def support(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from incidents.models import User

    from .models import AffectedPerson, FollowUp, SupportNotice, SupportRequest
    from .policy import WELLBEING_LEADS, FollowUpAction, follow_ups, requests

    leads = requests.qualifies(user, WELLBEING_LEADS)
    unread = (SupportNotice.objects.filter(recipient=OuterRef("pk"), seen_at__isnull=True)
              .values("recipient").annotate(n=Count("id")).values("n"))
    # The board, for those who offer check-ins or manage people who have them (everyone sees their own
    # in "My support"); wellbeing leads always.
    others = follow_ups.restrict(user, FollowUpAction.VIEW, FollowUp.objects.filter(~Q(person=user)))
    # "My support", for those who have some: a check-in, a place on a register, a request or a notice.
    own = (Exists(FollowUp.objects.filter(person=OuterRef("pk"))) | Exists(AffectedPerson.objects.filter(person=OuterRef("pk")))
           | Exists(SupportRequest.objects.filter(person=OuterRef("pk")))
           | Exists(SupportNotice.objects.filter(recipient=OuterRef("pk"))))
    found = User.objects.filter(pk=user.pk).annotate(
        unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
        board=Value(True) if leads else Exists(others),
        own=own,
    ).values("unread", "board", "own").first() or {"unread": 0, "board": False, "own": False}
    return {"shows_support": found["own"], "support_board": found["board"], "support_leads": leads,
            "support_unread": found["unread"]}
