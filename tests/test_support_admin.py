"""The staff support admin: wellbeing leads edit the plans; everything else is read only, at the tier the
admin site may see (support/policy.py). A system administrator never reads a note or an outcome there,
nor learns that someone asked for support."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import Email
from people.models import User
from support import notify, services
from support.models import (
    AffectedPerson,
    Debrief,
    DebriefInvitee,
    FollowUp,
    Outcome,
    PlanStep,
    SupportPlan,
)
from tests.factories import ask_for_support

pytestmark = pytest.mark.django_db

NOTE = "A private note about sleep"
PLAN_PERMISSIONS = {f"{verb}_{model}" for model in ("supportplan", "planstep")
                    for verb in ("view", "add", "change", "delete")}


@pytest.fixture
def admin_client(client, cast):
    admin = User.objects.create_superuser("root", "root@example.org", "pw-for-admin-tests", full_name="Root Admin")
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.fixture
def entry(cast, incident, people) -> AffectedPerson:
    """Bob on the register (Mike, his line manager, supports him), his first check-in done, with a note."""
    entry = services.register_add(actor=cast.alice, incident_id=incident.pk, user="bob", exposure="witnessed",
                                  reason="r")
    first = entry.created_follow_ups[0]
    services.follow_up_complete(actor=people.mike, follow_up_id=first.pk, outcome="referred_eap", note=NOTE)
    return entry


@pytest.fixture
def completed(entry) -> FollowUp:
    return entry.follow_ups.get(status="completed")


def _never_private(response) -> str:
    html = response.content.decode()
    for secret in (NOTE, "referred_eap", Outcome.REFERRED_EAP.label, "rearrange_requested_at", "Rearrange requested"):
        assert secret not in html, secret
    return html


# --- follow-ups: the status tier only ----------------------------------------------------------------------


def test_a_superuser_sees_follow_ups_without_their_outcome_or_note(admin_client, completed):
    listing = admin_client.get("/admin/support/followup/")
    assert listing.status_code == 200
    assert "72-hour check-in" in _never_private(listing)
    change = admin_client.get(f"/admin/support/followup/{completed.pk}/change/")
    assert change.status_code == 200
    html = _never_private(change)
    assert "Bob Brown" in html and "Mike Manager" in html and "Completed" in html
    history = admin_client.get(f"/admin/support/followup/{completed.pk}/history/")
    assert history.status_code == 200
    _never_private(history)
    # not SimpleHistoryAdmin: there is no page of a past version, whose form would hold the note
    version = completed.history.latest()
    past = admin_client.get(f"/admin/support/followup/{completed.pk}/history/{version.history_id}/", follow=True)
    assert past.status_code == 200 and "doesn’t exist" in past.content.decode()
    _never_private(past)


def test_filtering_follow_ups_on_a_hidden_field_is_refused(admin_client, completed):
    for query in (f"note__icontains={NOTE[:9]}", "outcome=referred_eap", "outcome__startswith=r",
                  "rearrange_requested_at__isnull=True", "affected__reason__icontains=r"):
        assert admin_client.get(f"/admin/support/followup/?{query}").status_code == 400, query
    shown = admin_client.get("/admin/support/followup/?status__exact=completed")
    assert shown.status_code == 200 and "72-hour check-in" in _never_private(shown)


def test_follow_ups_of_a_request_for_support_are_not_in_the_admin(admin_client, cast, incident, people):
    ask_for_support(cast, incident)
    asked = FollowUp.objects.get(request__isnull=False)
    listing = admin_client.get("/admin/support/followup/")
    assert listing.status_code == 200
    assert asked not in listing.context["cl"].result_list and listing.context["cl"].full_result_count == 0
    assert admin_client.get(f"/admin/support/followup/{asked.pk}/change/").status_code == 302  # not found
    for url in ("/admin/support/supportrequest/", "/admin/support/supportrequest/1/change/",
                "/admin/core/notice/", "/admin/core/notice/1/change/"):
        assert admin_client.get(url).status_code == 404, url
    index = admin_client.get("/admin/support/").content.decode()
    assert "supportrequest" not in index
    everything = admin_client.get("/admin/").content.decode()
    assert "/admin/core/email/" in everything and "/admin/core/notice/" not in everything


# --- read only -------------------------------------------------------------------------------------------


@pytest.fixture
def debrief(cast, incident, people) -> Debrief:
    from django.utils import timezone

    debrief = Debrief.objects.create(incident=incident, kind="cold", starts_at=timezone.now(), duration_minutes=60,
                                     location="Room 4", facilitator=people.ruth, created_by=people.ruth,
                                     learning_notes="Handover between teams was slow")
    DebriefInvitee.objects.create(debrief=debrief, person=cast.bob)
    return debrief


@pytest.fixture
def email(cast) -> Email:
    """One of staff support's emails, in the one outbox."""
    return notify.queue_email(cast.bob, "Your check-in, Bob Brown", "Mike Manager will call about how you are sleeping")


def test_register_follow_ups_debriefs_and_emails_are_read_only(admin_client, entry, completed, debrief, email):
    for name, obj in (("support/affectedperson", entry), ("support/followup", completed), ("support/debrief", debrief),
                      ("core/email", email)):
        base = f"/admin/{name}/"
        assert admin_client.get(base).status_code == 200, name
        page = admin_client.get(f"{base}{obj.pk}/change/")
        assert page.status_code == 200, name
        html = page.content.decode()
        assert 'name="_save"' not in html and f"{base}{obj.pk}/delete/" not in html, name
        assert admin_client.get(f"{base}add/").status_code == 403, name
        assert admin_client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403, name
        admin_client.post(f"{base}{obj.pk}/change/", {"status": "cancelled", "exposure": "other", "to": "x@y.z"})
        assert type(obj).objects.filter(pk=obj.pk).exists(), name
    entry.refresh_from_db()
    completed.refresh_from_db()
    email.refresh_from_db()
    assert entry.exposure == "witnessed" and completed.status == "completed" and email.to == "bob@example.org"


def test_the_register_shows_who_and_how_but_not_why(admin_client, entry):
    html = admin_client.get(f"/admin/support/affectedperson/{entry.pk}/change/").content.decode()
    assert "Bob Brown" in html and "Witnessed it" in html and "Line manager" in html
    assert admin_client.get("/admin/support/affectedperson/?reason__icontains=r").status_code == 400


def test_an_email_shows_where_it_stands_never_what_it_says(admin_client, email):
    assert email.kind == "support"
    for url in ("/admin/core/email/", f"/admin/core/email/{email.pk}/change/"):
        html = admin_client.get(url).content.decode()
        assert "bob@example.org" in html
        assert "Your check-in" not in html and "sleeping" not in html, url
    for query in ("subject__icontains=Bob", "body__icontains=sleep"):
        assert admin_client.get(f"/admin/core/email/?{query}").status_code == 400, query


def test_a_debrief_shows_its_learning_and_invitees(admin_client, debrief):
    html = admin_client.get(f"/admin/support/debrief/{debrief.pk}/change/").content.decode()
    assert "Handover between teams was slow" in html and "Bob Brown" in html


# --- support plans: edited by wellbeing leads --------------------------------------------------------------


@pytest.fixture
def plan() -> SupportPlan:
    return SupportPlan.objects.get(is_default=True)  # made by migration 0003


def _staff(user: User) -> User:
    user.is_staff = True
    user.save()
    return user


def _plan_form(plan: SupportPlan, **step_changes) -> dict:
    """The change form as the browser sends it, with the steps' inline management form.
    `step_changes` like amount_0=48 change the first step's amount."""
    steps = list(plan.steps.order_by("pk"))
    data = {"name": plan.name, "is_default": "on" if plan.is_default else "",
            "steps-TOTAL_FORMS": str(len(steps)), "steps-INITIAL_FORMS": str(len(steps)),
            "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000"}
    for i, step in enumerate(steps):
        data |= {f"steps-{i}-id": step.pk, f"steps-{i}-plan": plan.pk, f"steps-{i}-label": step.label,
                 f"steps-{i}-amount": step.amount, f"steps-{i}-unit": step.unit}
    for key, value in step_changes.items():
        field, index = key.rsplit("_", 1)
        data[f"steps-{index}-{field}"] = value
    return {k: v for k, v in data.items() if v != ""}


def test_a_wellbeing_lead_edits_the_plan_with_history(client, people, plan):
    client.force_login(_staff(people.ruth))
    assert client.get("/admin/support/supportplan/").status_code == 200
    assert client.get(f"/admin/support/supportplan/{plan.pk}/change/").status_code == 200
    first = plan.steps.order_by("pk").first()
    assert first.amount == 72
    response = client.post(f"/admin/support/supportplan/{plan.pk}/change/", _plan_form(plan, amount_0=48))
    assert response.status_code == 302, response.content.decode()[:3000]
    first.refresh_from_db()
    assert first.amount == 48
    latest = first.history.latest()
    assert latest.history_type == "~" and latest.amount == 48 and latest.history_user == people.ruth
    assert client.get(f"/admin/support/supportplan/{plan.pk}/history/").status_code == 200
    # the admin shows them the plans and nothing else of staff support
    assert client.get("/admin/support/followup/").status_code == 403
    assert client.get("/admin/support/affectedperson/").status_code == 403


def test_a_manager_who_is_staff_but_not_a_wellbeing_lead_is_refused(client, people, plan):
    client.force_login(_staff(people.mike))
    for url in ("/admin/support/supportplan/", f"/admin/support/supportplan/{plan.pk}/change/",
                f"/admin/support/supportplan/{plan.pk}/history/", "/admin/support/supportplan/add/"):
        assert client.get(url).status_code == 403, url
    response = client.post(f"/admin/support/supportplan/{plan.pk}/change/", _plan_form(plan, amount_0=1))
    assert response.status_code == 403
    assert plan.steps.order_by("pk").first().amount == 72


@pytest.mark.parametrize("amount, error", [("0", "at least 1 hour, day or month"), ("-3", "at least 1 hour"),
                                           ("88000", "more than ten years on")])
def test_a_step_at_zero_or_far_off_is_a_form_error(client, people, plan, amount, error):
    client.force_login(_staff(people.ruth))
    first = plan.steps.order_by("pk").first()
    rows = first.history.count()
    response = client.post(f"/admin/support/supportplan/{plan.pk}/change/", _plan_form(plan, amount_0=amount))
    assert response.status_code == 200 and error in response.content.decode()
    first.refresh_from_db()
    assert first.amount == 72 and first.history.count() == rows


def test_making_another_plan_the_default_switches_it(admin_client, plan):
    form = {"name": "Gentler plan", "is_default": "on", "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000",
            "steps-0-label": "Two-week check-in", "steps-0-amount": "14", "steps-0-unit": "days"}
    response = admin_client.post("/admin/support/supportplan/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    gentler = SupportPlan.objects.get(name="Gentler plan")
    plan.refresh_from_db()
    assert gentler.is_default and not plan.is_default
    demoted = plan.history.latest()
    assert demoted.history_user == admin_client.admin and "Gentler plan" in demoted.history_change_reason
    assert [s.label for s in services.default_steps()] == ["Two-week check-in"]
    # and back again, from the change form
    response = admin_client.post(f"/admin/support/supportplan/{plan.pk}/change/",
                                 _plan_form(plan) | {"is_default": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(SupportPlan.objects.filter(is_default=True)) == [plan]


def test_the_default_plan_is_neither_unticked_nor_deleted(admin_client, plan):
    unticked = {k: v for k, v in _plan_form(plan).items() if k != "is_default"}
    response = admin_client.post(f"/admin/support/supportplan/{plan.pk}/change/", unticked)
    assert response.status_code == 200 and "There is always a default plan" in response.content.decode()
    plan.refresh_from_db()
    assert plan.is_default
    assert admin_client.post(f"/admin/support/supportplan/{plan.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "delete_selected" not in admin_client.get("/admin/support/supportplan/").content.decode()
    other = SupportPlan.objects.create(name="Spare")
    PlanStep.objects.create(plan=other, label="Soon", amount=1, unit="days")
    assert admin_client.post(f"/admin/support/supportplan/{other.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not SupportPlan.objects.filter(pk=other.pk).exists()


# --- migration 0004 ----------------------------------------------------------------------------------------


def test_wellbeing_leads_hold_the_plan_permissions(people):
    group = Group.objects.get(name="wellbeing_lead")
    assert set(group.permissions.values_list("codename", flat=True)) >= PLAN_PERMISSIONS
    assert people.ruth.has_perms([f"support.{codename}" for codename in PLAN_PERMISSIONS])
    assert not people.mike.has_perm("support.change_supportplan")


def test_the_permissions_migration_runs_twice_and_reverses(db):
    migration = importlib.import_module("support.migrations.0004_wellbeing_lead_plan_permissions")
    state = MigrationExecutor(connection).loader.project_state(("support", "0004_wellbeing_lead_plan_permissions"))
    editor = SimpleNamespace(connection=connection)
    group = Group.objects.get(name="wellbeing_lead")

    def held() -> set[str]:
        return set(group.permissions.filter(content_type__app_label="support").values_list("codename", flat=True))

    migration.revoke(state.apps, editor)
    assert held() == set()
    migration.grant(state.apps, editor)
    migration.grant(state.apps, editor)
    assert held() == PLAN_PERMISSIONS
    assert group.permissions.through.objects.filter(group=group).count() == len(PLAN_PERMISSIONS)
