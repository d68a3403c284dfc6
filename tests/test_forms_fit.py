"""Forms that fit the task (issue 11, point 6), server side: the message editor shows and keeps only the
fields its audience uses (one mapping, comms/models.py AUDIENCE_FIELDS, for the page and the service);
people are found by name; several members are added at once, all or none; nothing is chosen for anyone
that they could submit without meaning to. The browser half: tests/browser/test_forms_fit.py."""

from __future__ import annotations

import json
import re

import pytest

from comms import services as comms_services
from comms.forms import MessageForm
from comms.models import AUDIENCE_FIELDS, AUDIENCE_SPECIFIC_FIELDS, RECIPIENT_FIELDS, Audience, Message
from core.errors import InvalidInput
from incidents.models import Membership
from people.models import Team
from tests.factories import make_user

pytestmark = pytest.mark.django_db

FILLED = {"teams": ["North"], "recipients": "bob", "external_recipients": "partner@example.org",
          "content_note": "About a death"}


def login(client, user):
    client.force_login(user)
    return client


def editor(client, incident) -> str:
    return client.get(f"/incidents/{incident.pk}/comms/new/").content.decode()


# --- one mapping for the page and the service ---------------------------------------------------------------


@pytest.mark.parametrize("audience", Audience.values)
def test_the_form_keeps_only_the_fields_its_audience_uses(cast, audience):
    Team.objects.get_or_create(name="North")
    form = MessageForm({"audience": audience, "subject": "s", "body": "b", **FILLED})
    assert form.is_valid(), form.errors
    values = form.service_values()
    kept = {name for name in AUDIENCE_SPECIFIC_FIELDS if values[name]}
    assert kept == set(AUDIENCE_FIELDS[audience])


@pytest.mark.parametrize("audience", Audience.values)
@pytest.mark.parametrize("field", [*RECIPIENT_FIELDS, "content_note"])
def test_the_service_refuses_what_the_audience_does_not_use(cast, incident, audience, field):
    """The page and the API agree: the editor clears a hidden field, and the service refuses one sent (a
    content note only a staff briefing would ever show, recipients another audience would use)."""
    Team.objects.get_or_create(name="North")
    given = {"teams": ["North"], "recipients": ["bob"], "external_recipients": ["partner@example.org"],
             "content_note": "Mentions a child's death"}
    try:
        comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience=audience, subject="s",
                                     body="b", **{field: given[field]})
    except InvalidInput as error:
        refused = field in error.errors
    else:
        refused = False
    assert refused == (field not in AUDIENCE_FIELDS[audience])


def test_the_editor_reveals_each_audiences_fields_from_the_mapping(cast, client, incident):
    Team.objects.get_or_create(name="North")
    body = editor(login(client, cast.alice), incident)
    for field in AUDIENCE_SPECIFIC_FIELDS:
        wanted = " ".join(a for a in Audience.values if field in AUDIENCE_FIELDS[a])
        assert f'data-audiences="{wanted}"' in body
    # Nothing chosen yet, so every audience's fields start hidden (shown without JavaScript, by the CSS).
    assert 'govuk-radios__conditional govuk-radios__conditional--hidden" id="conditional-message_recipients"' in body
    assert "data-aria-controls" not in body  # GOV.UK's reveal puts aria-expanded on radios: axe rejects it
    # Without JavaScript every field shows, saying whom it is for.
    assert "Only for chosen staff." in body and "Only for partner agencies, elected members or the family." in body


def test_a_new_message_has_no_audience_chosen(cast, client, incident):
    body = editor(login(client, cast.alice), incident)
    assert not re.search(r'name="audience"[^>]*checked', body)


def test_a_message_to_people_chosen_one_by_one_or_typed_is_saved_with_them(cast, client, incident):
    login(client, cast.alice)
    url = f"/incidents/{incident.pk}/comms/new/"
    # The chooser posts one `recipients` per person; teams ticked before the author changed their mind are ignored.
    Team.objects.get_or_create(name="North")
    response = client.post(url, {"audience": "people", "subject": "For two", "body": "b",
                                 "recipients": ["bob", "tom"], "teams": ["North"]})
    assert response.status_code == 302
    message = Message.objects.get(subject="For two")
    assert {u.username for u in message.recipients.all()} == {"bob", "tom"} and not message.teams.exists()
    # Without JavaScript: usernames with commas.
    client.post(url, {"audience": "people", "subject": "Typed", "body": "b", "recipients": "bob, tom"})
    assert {u.username for u in Message.objects.get(subject="Typed").recipients.all()} == {"bob", "tom"}


def test_an_error_keeps_the_chosen_audience_revealed(cast, client, incident):
    response = login(client, cast.alice).post(f"/incidents/{incident.pk}/comms/new/",
                                              {"audience": "people", "subject": "s", "body": "b"})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'class="govuk-radios__conditional" id="conditional-message_recipients"' in body
    assert "Choose at least one member of staff." in body


def test_editing_shows_the_chosen_people_by_name(cast, client, incident):
    message = comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                           subject="s", body="b", recipients=["bob"])
    body = login(client, cast.alice).get(f"/messages/{message.pk}/edit/").content.decode()
    assert '"label": "Bob Brown"' in body and 'id="message_recipients_chosen"' in body


# --- several members at once ------------------------------------------------------------------------------


def test_several_members_are_added_at_once_each_with_their_role(cast, client, incident):
    response = login(client, cast.alice).post(f"/incidents/{incident.pk}/members/add/", {
        "user": ["charlie — Charlie Outsider", "sam", ""], "role": ["member", "observer", ""], "reason": "On duty"})
    assert response.status_code == 302
    roles = dict(Membership.objects.filter(incident=incident, removed_at=None)
                 .values_list("user__username", "role"))
    assert roles["charlie"] == "member" and roles["sam"] == "observer"


def test_one_bad_row_adds_nobody_and_says_which_row(cast, client, incident):
    login(client, cast.alice)
    response = client.post(f"/incidents/{incident.pk}/members/add/", {
        "user": ["charlie", "ghost", "sam"], "role": ["member", "member", "observer"], "reason": "On duty"})
    body = response.content.decode()
    assert response.status_code == 400
    assert not Membership.objects.filter(incident=incident, user__username__in=["charlie", "sam"]).exists()
    assert '<a href="#member_2_user">' in body and 'id="member_2_user_error"' in body  # the ghost's row
    assert 'value="charlie"' in body and 'value="sam"' in body  # what was typed is kept
    assert body.count('class="govuk-error-message"') == 1
    # A row without a role: the form says so against that row, before anything is tried.
    response = client.post(f"/incidents/{incident.pk}/members/add/", {
        "user": ["charlie", "sam"], "role": ["member", ""], "reason": "On duty"})
    assert response.status_code == 400
    assert '<a href="#member_2_role">Choose their role.</a>' in response.content.decode()
    assert not Membership.objects.filter(incident=incident, user__username__in=["charlie", "sam"]).exists()


def test_a_person_already_in_the_incident_is_an_error_on_their_row(cast, client, incident):
    response = login(client, cast.alice).post(f"/incidents/{incident.pk}/members/add/", {
        "user": ["charlie", "bob"], "role": ["member", "member"], "reason": "r"})
    assert response.status_code == 400
    assert 'id="member_2_user_error"' in response.content.decode()
    assert not Membership.objects.filter(incident=incident, user=cast.charlie).exists()


def test_a_member_role_is_never_chosen_for_you(cast, client, incident):
    body = login(client, cast.alice).get(f"/incidents/{incident.pk}/").content.decode()
    role = re.search(r'<select name="role"[^>]*id="member_role"[^>]*>(.*?)</select>', body, re.S).group(1)
    assert '<option value="" selected>Choose…</option>' in role


# --- nothing pre-selected --------------------------------------------------------------------------------


def test_an_incidents_kind_and_severity_start_unchosen_and_are_required(cast, client):
    login(client, cast.alice)
    body = client.get("/incidents/new/").content.decode()
    for name in ("kind", "severity"):
        select = re.search(rf'<select name="{name}".*?</select>', body, re.S).group(0)
        assert '<option value="" selected>Choose…</option>' in select
        assert select.count("selected") == 1
    response = client.post("/incidents/new/", {"title": "t", "summary": "s", "occurred_at": "2026-01-01T10:00",
                                                "aware_at": "2026-01-01T11:00"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose the kind of incident." in body and "Choose the severity." in body


def test_debrief_kind_exposure_and_identifier_kind_start_unchosen():
    from comms.forms import IdentifierForm
    from support.forms import DebriefForm, RegisterAddForm

    for form, name in ((DebriefForm(), "kind"), (RegisterAddForm(), "exposure"), (IdentifierForm(), "kind")):
        assert form.fields[name].choices[0] == ("", "Choose…")
        assert form.fields[name].required


# --- finding people by name ------------------------------------------------------------------------------


def search(client, url, q):
    return client.get(url, {"q": q}, HTTP_ACCEPT="application/json")


def test_the_recipient_search_finds_active_staff_by_name(cast, client, incident):
    team = Team.objects.create(name="Fostering")
    make_user("bobby", "Bobby Brown", team=team)
    make_user("gone", "Bob Gone").__class__.objects.filter(username="gone").update(is_active=False)
    url = f"/incidents/{incident.pk}/comms/people/"
    found = search(login(client, cast.alice), url, "brown").json()
    assert found == [{"value": "bob", "label": "Bob Brown", "detail": ""},
                     {"value": "bobby", "label": "Bobby Brown", "detail": "Fostering"}]
    assert "gone" not in [p["value"] for p in search(client, url, "bob").json()]


def test_the_recipient_search_is_for_those_who_may_draft(cast, client, incident):
    url = f"/incidents/{incident.pk}/comms/people/"
    assert search(login(client, cast.charlie), url, "bob").status_code == 404  # an outsider: no such incident
    assert search(login(client, cast.olive), url, "bob").status_code == 403  # an observer drafts nothing


def test_the_member_search_answers_the_autocomplete_in_json(cast, client, incident):
    url = f"/incidents/{incident.pk}/people/choices/"
    found = search(login(client, cast.alice), url, "charl").json()
    assert found == [{"value": "charlie", "label": "Charlie Outsider", "detail": ""}]
    assert search(client, url, "bob").json() == []  # already a member
    assert search(login(client, cast.charlie), url, "bob").status_code == 404
    assert search(login(client, cast.bob), url, "cha").status_code == 403


def test_the_staff_search_finds_active_staff_by_name_for_anyone_signed_in(cast, client):
    team = Team.objects.create(name="Fostering")
    make_user("bobby", "Bobby Brown", team=team)
    make_user("gone", "Bob Gone").__class__.objects.filter(username="gone").update(is_active=False)
    # An outsider to every incident still chooses their own supporter: the search is the address book.
    found = search(login(client, cast.charlie), "/people/search/", "brown").json()
    assert found == [{"value": "bob", "label": "Bob Brown", "detail": ""},
                     {"value": "bobby", "label": "Bobby Brown", "detail": "Fostering"}]
    assert search(client, "/people/search/", "gone").json() == []
    assert search(client, "/people/search/", "b").json() == []  # two letters at least
    client.logout()
    response = search(client, "/people/search/", "brown")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- support's person fields: chosen by name -------------------------------------------------------------


def arrange_form(**extra) -> dict:
    import datetime as dt

    from django.utils import timezone

    when = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(hour=10, minute=0)
    return {"action": "debrief", "kind": "hot", "starts_at": when.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "60", "location": "Room 2", "facilitator": "bob — Bob Brown", **extra}


def test_the_debrief_form_offers_the_staff_search_and_chooses_nothing(cast, client, incident):
    body = login(client, cast.alice).get(f"/incidents/{incident.pk}/support/").content.decode()
    form = body[body.index('id="arrange"'):]
    assert 'data-choose-person="/people/search/"' in form  # the facilitator
    assert 'data-choose-people="/people/search/" data-chosen-id="debrief_invitees_chosen"' in form
    assert re.search(r'<option value="" selected>Choose…</option>', form)  # no kind chosen for anyone
    assert 'name="starts_at"' in form and not re.search(r'name="starts_at"[^>]*value=', form)


def test_invitees_chosen_one_by_one_or_typed_are_invited(cast, client, incident):
    from support.models import Debrief

    url = f"/incidents/{incident.pk}/support/"
    login(client, cast.alice)
    # The chooser posts one `invitees` per person; without it, one name per line.
    response = client.post(url, {**arrange_form(), "invitees": ["bob", "olive"]})
    assert response.status_code == 302
    later = arrange_form()["starts_at"].replace("T10:", "T15:")  # the facilitator is busy at ten
    response = client.post(url, arrange_form(starts_at=later, invitees="Bob Brown\nolive — Olive Observer, alice"))
    assert response.status_code == 302, re.findall(r'govuk-error-message">(.*?)</p>', response.content.decode())
    first, second = Debrief.objects.order_by("pk")
    assert sorted(first.invitees.values_list("person__username", flat=True)) == ["bob", "olive"]
    assert sorted(second.invitees.values_list("person__username", flat=True)) == ["alice", "bob", "olive"]


def test_a_refused_debrief_keeps_the_people_chosen_and_names_them(cast, client, incident):
    from support.models import Debrief

    response = login(client, cast.alice).post(f"/incidents/{incident.pk}/support/",
                                              {**arrange_form(location=""), "invitees": ["bob", "olive"]})
    body = response.content.decode()
    assert response.status_code == 400 and not Debrief.objects.exists()
    chosen = re.search(r'<script id="debrief_invitees_chosen" type="application/json">(.*?)</script>', body)
    assert chosen and json.loads(chosen.group(1)) == [
        {"value": "bob", "label": "Bob Brown", "detail": ""}, {"value": "olive", "label": "Olive Observer", "detail": ""}]


def test_too_many_invitees_or_nobody_known_is_a_field_error(cast, client, incident):
    from support.models import Debrief

    url = f"/incidents/{incident.pk}/support/"
    login(client, cast.alice)
    response = client.post(url, {**arrange_form(), "invitees": [f"person{i}" for i in range(201)]})
    assert response.status_code == 400 and "Invite at most 200 people to one debrief." in response.content.decode()
    response = client.post(url, {**arrange_form(), "invitees": ["bob", "nobody-here"]})
    assert response.status_code == 400 and "nobody-here" in response.content.decode()
    assert not Debrief.objects.exists()


def test_supporter_and_handover_fields_use_the_staff_search():
    from support.forms import ReassignForm, RegisterAddForm, SupporterForm

    for form, name in ((RegisterAddForm(), "user"), (RegisterAddForm(), "supporter"), (ReassignForm(), "assignee"),
                       (SupporterForm(), "supporter")):
        assert form.fields[name].choose == "one", name


def test_the_api_refuses_a_content_note_on_a_press_statement(cast, api, incident):
    response = api(cast.alice).post(f"/api/incidents/{incident.pk}/messages/", {
        "audience": "press_statement", "subject": "Statement", "body": "We are saddened.",
        "content_note": "Mentions a child's death"}, format="json")
    assert response.status_code == 400
    assert "only for briefings to staff" in response.json()["content_note"][0]
    assert not Message.objects.exists()


def test_more_people_than_one_form_takes_are_refused_not_cut_short(cast, client, incident):
    from incidents.forms import MEMBER_ROWS_MAX

    people = [make_user(f"many{i}", f"Many Person{i}").username for i in range(MEMBER_ROWS_MAX + 2)]
    before = Membership.objects.count()
    response = login(client, cast.alice).post(f"/incidents/{incident.pk}/members/add/", {
        "user": people, "role": ["member"] * len(people), "reason": "On duty"})
    assert response.status_code == 400
    assert f"Add at most {MEMBER_ROWS_MAX} people at once" in response.content.decode()
    assert Membership.objects.count() == before


def test_a_message_without_an_audience_asks_in_words_on_the_page(cast, client, incident):
    response = login(client, cast.alice).post(f"/incidents/{incident.pk}/comms/new/",
                                              {"subject": "s", "body": "b"})
    body = response.content.decode()
    assert response.status_code == 400 and "Choose who the message is for." in body
    assert "all_staff" not in body.split('name="audience"')[0]  # no codes before the choices themselves
