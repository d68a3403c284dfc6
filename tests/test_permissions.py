"""Need to know: the permission matrix, and the one queryset filter agreeing with the one getter."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from incidents.models import Incident
from incidents.permissions import Action, allowed_actions, can_view, get_incident_for

pytestmark = pytest.mark.django_db

ALL = set(Action)
READ = {Action.VIEW}
CONTRIBUTE = {Action.VIEW, Action.RECORD_DECISION}

# who: (on an unrestricted incident, on a restricted one)
MATRIX = {
    "alice": (ALL, ALL),  # lead
    "tom": (ALL, ALL),  # tactical lead
    "cora": (CONTRIBUTE, CONTRIBUTE),  # comms lead
    "bob": (CONTRIBUTE, CONTRIBUTE),  # member
    "olive": (READ, READ),  # observer
    "sam": (READ, set()),  # senior leader outside: reads unrestricted only
    "charlie": (set(), set()),  # outsider
}


@pytest.mark.parametrize("who", MATRIX)
def test_permission_matrix(cast, incident, restricted, who):
    user = getattr(cast, who)
    for subject, expected in zip((incident, restricted), MATRIX[who], strict=True):
        fresh = Incident.objects.get(pk=subject.pk)
        assert set(allowed_actions(user, fresh)) == expected
        # the queryset filter and the object check always agree
        assert Incident.objects.visible_to(user).filter(pk=subject.pk).exists() == can_view(user, fresh)


def test_getter_answers_404_before_403(cast, incident, restricted):
    with pytest.raises(PermissionDenied):
        get_incident_for(cast.olive, incident.pk, Action.RECORD_DECISION)
    with pytest.raises(Http404):
        get_incident_for(cast.charlie, incident.pk, Action.RECORD_DECISION)
    with pytest.raises(Http404):
        get_incident_for(cast.sam, restricted.pk)
    with pytest.raises(Http404):
        get_incident_for(cast.alice, "not-a-number")


def test_inactive_people_see_nothing(cast, incident):
    cast.bob.is_active = False
    cast.bob.save()
    assert not Incident.objects.visible_to(cast.bob).exists()
    with pytest.raises(Http404):
        get_incident_for(cast.bob, incident.pk)


def test_a_removed_member_loses_sight(cast, incident):
    from incidents import services

    services.member_remove(actor=cast.alice, incident_id=incident.pk, username="bob", reason="r")
    assert not Incident.objects.visible_to(cast.bob).exists()
