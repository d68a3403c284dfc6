"""Every read of staff support, through support/policy.py: what a person may not see does not exist for them."""

from __future__ import annotations

from django.db.models import QuerySet

from config.paging import Keyset
from incidents.rules import Actor

from .models import SupportRequest
from .policy import Action, requests

REQUESTS = Keyset("-created_at", "-id")


def support_requests(actor: Actor) -> QuerySet[SupportRequest]:
    """The requests this person may see: their own, or every one for a wellbeing lead. Newest first."""
    return requests.restrict(actor, Action.VIEW).order_by("-created_at", "-id")
