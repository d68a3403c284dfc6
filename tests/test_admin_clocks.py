"""The statutory-clock playbooks in the admin: administrators edit them, with their history; bad input is a
form error and changes nothing; a playbook is never deleted (incidents copy from it). Incidents' own
obligations are read only there, seen exactly as the incident admin sees incidents."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from clocks.models import Obligation, Playbook, PlaybookObligation, PlaybookStep
from clocks.policy import ObligationAction, obligations
from core.actors import AdminSite
from core.models import Email
from incidents.policy import Action, incidents
from people.models import User

pytestmark = pytest.mark.django_db

OBLIGATION_FIELDS = ["position", "code", "title", "basis", "responsible_role", "clock", "amount", "starts", "after",
                     "applies_when"]
STEP_FIELDS = ["position", "code", "title", "completes"]


@pytest.fixture
def admin_client(client, cast):
    admin = User.objects.create_superuser("root", "root@example.org", "pw-for-admin-tests", full_name="Root Admin")
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.fixture
def playbook(cast) -> Playbook:
    return Playbook.objects.get(kind="child_death")


def _url(playbook: Playbook) -> str:
    return f"/admin/clocks/playbook/{playbook.pk}/change/"


def _rows(prefix: str, queryset, fields: list[str]) -> dict:
    rows = list(queryset)
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(len(rows)),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data[f"{prefix}-{i}-id"] = str(row.pk)
        data[f"{prefix}-{i}-playbook"] = str(row.playbook_id)
        for field in fields:
            data[f"{prefix}-{i}-{field}"] = str(getattr(row, field))
    return data


def _form(playbook: Playbook, **changes) -> dict:
    """The change form as the admin renders it for this playbook, with `changes` applied. A change to an
    obligation row is `obligations-<row>-<field>`, to a step `ladder-<row>-<field>`."""
    data = {"title": playbook.title}
    data.update(_rows("obligations", playbook.obligations.all(), OBLIGATION_FIELDS))
    data.update(_rows("ladder", playbook.ladder.all(), STEP_FIELDS))
    data.update({key.replace("__", "-"): value for key, value in changes.items()})
    return data


def _row(playbook: Playbook, code: str) -> int:
    return [o.code for o in playbook.obligations.all()].index(code)


def _add_obligation(data: dict, **fields) -> dict:
    """A new obligation row at the end of the formset."""
    i = int(data["obligations-TOTAL_FORMS"])
    data["obligations-TOTAL_FORMS"] = str(i + 1)
    row = {"position": "9", "code": "new_one", "title": "A new one", "basis": "Local", "responsible_role": "lead",
           "clock": "working_days", "amount": "3", "starts": "aware_at", "after": "", "applies_when": ""}
    row.update(fields)
    data.update({f"obligations-{i}-{k}": v for k, v in row.items()})
    return data


def _snapshot() -> tuple:
    """Everything the playbook admin could change, with its history."""
    return (
        list(Playbook.objects.order_by("pk").values()),
        list(PlaybookObligation.objects.order_by("pk").values()),
        list(PlaybookStep.objects.order_by("pk").values()),
        Playbook.history.count(), PlaybookObligation.history.count(), PlaybookStep.history.count(),
    )


# --- editing a playbook -----------------------------------------------------------------------------------


def test_a_superuser_edits_an_obligations_amount_with_history(admin_client, playbook):
    row = _row(playbook, "panel_notification")
    response = admin_client.post(_url(playbook), _form(playbook, **{f"obligations__{row}__amount": "6"}))
    assert response.status_code == 302, response.content.decode()[:3000]
    panel = PlaybookObligation.objects.get(playbook=playbook, code="panel_notification")
    assert panel.amount == 6
    assert panel.history.count() == 1  # the data migration's rows start without history
    latest = panel.history.get()
    assert (latest.history_type, latest.history_user, latest.amount) == ("~", admin_client.admin, 6)
    assert admin_client.get(f"/admin/clocks/playbook/{playbook.pk}/history/").status_code == 200


def test_a_chain_of_obligations_and_a_new_step_save(admin_client, playbook):
    """The valid cases the checks must not refuse: an obligation after another, a step completing an
    obligation added in the same submission."""
    data = _add_obligation(_form(playbook), code="review_published", starts="obligation", after="rapid_review")
    i = int(data["ladder-TOTAL_FORMS"])
    data.update({"ladder-TOTAL_FORMS": str(i + 1), f"ladder-{i}-position": "9", f"ladder-{i}-code": "press",
                 f"ladder-{i}-title": "Press office", f"ladder-{i}-completes": "review_published"})
    response = admin_client.post(_url(playbook), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PlaybookObligation.objects.get(playbook=playbook, code="review_published").after == "rapid_review"
    assert PlaybookStep.objects.get(playbook=playbook, code="press").completes == "review_published"


def test_codes_swapped_or_taken_over_from_a_removed_row_save(admin_client, playbook):
    """Valid in the end, though saving row by row would meet the old codes on the way (an IntegrityError)."""
    panel, rapid = _row(playbook, "panel_notification"), _row(playbook, "rapid_review")
    holding = _row(playbook, "holding_statement_ready")
    titles = {o.code: o.title for o in playbook.obligations.all()}
    data = _form(playbook, **{f"obligations__{panel}__code": "rapid_review",
                              f"obligations__{rapid}__code": "panel_notification",
                              f"obligations__{holding}__DELETE": "on", "ladder__0__code": "chief_executive",
                              "ladder__1__code": "director"})
    data = _add_obligation(data, code="holding_statement_ready", title="A new holding statement")
    response = admin_client.post(_url(playbook), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    now = {o.code: o.title for o in playbook.obligations.all()}
    assert now["rapid_review"] == titles["panel_notification"] and now["panel_notification"] == titles["rapid_review"]
    assert now["holding_statement_ready"] == "A new holding statement"
    assert {s.code: s.title for s in playbook.ladder.all()}["director"] == "Chief Executive"
    assert not any(code.startswith("~") for code in now)


def _bad(playbook: Playbook, case: str) -> dict:
    director, panel = _row(playbook, "director_informed"), _row(playbook, "panel_notification")
    rapid = _row(playbook, "rapid_review")
    first_step = 0
    match case:
        case "duplicate obligation code":
            return _form(playbook, **{f"obligations__{panel}__code": "director_informed"})
        case "new obligation with an existing code":
            return _add_obligation(_form(playbook), code="rapid_review")
        case "a code taken by a row added since the page loaded":
            data = _add_obligation(_form(playbook), code="added_meanwhile")
            PlaybookObligation.objects.create(playbook=playbook, code="added_meanwhile", title="t", basis="b",
                                              clock="hours", amount=1)
            return data
        case "duplicate step code":
            return _form(playbook, **{"ladder__1__code": "director"})
        case "after missing":
            return _form(playbook, **{f"obligations__{rapid}__starts": "obligation"})
        case "after without starts obligation":
            return _form(playbook, **{f"obligations__{rapid}__after": "panel_notification"})
        case "after names itself":
            return _form(playbook, **{f"obligations__{rapid}__starts": "obligation",
                                      f"obligations__{rapid}__after": "rapid_review"})
        case "after names no obligation":
            return _form(playbook, **{f"obligations__{rapid}__starts": "obligation",
                                      f"obligations__{rapid}__after": "no_such_thing"})
        case "after names a step, not an obligation":
            return _form(playbook, **{f"obligations__{rapid}__starts": "obligation",
                                      f"obligations__{rapid}__after": "chief_executive"})
        case "after names an obligation deleted alongside":
            return _form(playbook, **{f"obligations__{rapid}__starts": "obligation",
                                      f"obligations__{rapid}__after": "panel_notification",
                                      f"obligations__{panel}__DELETE": "on"})
        case "after names another playbook's obligation":
            return _form(playbook, **{f"obligations__{rapid}__starts": "obligation",
                                      f"obligations__{rapid}__after": "cqc_notification"})
        case "obligations waiting on each other":
            return _form(playbook, **{f"obligations__{rapid}__starts": "obligation",
                                      f"obligations__{rapid}__after": "panel_notification",
                                      f"obligations__{panel}__starts": "obligation",
                                      f"obligations__{panel}__after": "rapid_review"})
        case "completes names no obligation":
            return _form(playbook, **{"ladder__1__completes": "no_such_thing"})
        case "completes names another playbook's obligation":
            return _form(playbook, **{"ladder__1__completes": "cqc_notification"})
        case "completes names an obligation deleted alongside":
            return _form(playbook, **{f"obligations__{director}__DELETE": "on"})  # the Director step completes it
        case "completes names an obligation renamed alongside":
            return _form(playbook, **{f"obligations__{director}__code": "director_told"})
        case "observer responsible":
            return _form(playbook, **{f"obligations__{panel}__responsible_role": "observer"})
        case "a clock of a century":
            return _form(playbook, **{f"obligations__{panel}__amount": "36500"})
        case "a step with no code":
            return _form(playbook, **{f"ladder__{first_step}__code": ""})
    raise AssertionError(case)


BAD = {
    "duplicate obligation code": "has the code “director_informed”",
    "new obligation with an existing code": "has the code “rapid_review”",
    "a code taken by a row added since the page loaded": "has the code “added_meanwhile”",
    "duplicate step code": "has the code “director”",
    "after missing": "give that obligation&#x27;s code",
    "after without starts obligation": "Leave this empty",
    "after names itself": "cannot start when it is itself done",
    "after names no obligation": "No obligation in this playbook has the code “no_such_thing”",
    "after names a step, not an obligation": "No obligation in this playbook has the code “chief_executive”",
    "after names an obligation deleted alongside": "No obligation in this playbook has the code “panel_notification”",
    "after names another playbook's obligation": "No obligation in this playbook has the code “cqc_notification”",
    "obligations waiting on each other": "none would ever start",
    "completes names no obligation": "No obligation in this playbook has the code “no_such_thing”",
    "completes names another playbook's obligation": "No obligation in this playbook has the code “cqc_notification”",
    "completes names an obligation deleted alongside": "No obligation in this playbook has the code “director_informed”",
    "completes names an obligation renamed alongside": "No obligation in this playbook has the code “director_informed”",
    "observer responsible": "An observer only reads the incident",
    "a clock of a century": "likely a slip",
    "a step with no code": "This field is required",
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_a_form_error_and_changes_nothing(admin_client, playbook, case):
    data = _bad(playbook, case)
    before = _snapshot()
    response = admin_client.post(_url(playbook), data)
    html = response.content.decode()
    assert response.status_code == 200, html[:3000]
    assert "Please correct the error" in html
    assert BAD[case] in html, html[html.find("errornote"):][:3000]
    assert _snapshot() == before


def test_the_kind_is_read_only_once_the_playbook_exists(admin_client, playbook):
    page = admin_client.get(_url(playbook)).content.decode()
    assert 'name="kind"' not in page  # shown, not offered
    response = admin_client.post(_url(playbook), _form(playbook, kind="other", title="Renamed"))
    assert response.status_code == 302
    playbook.refresh_from_db()
    assert (playbook.kind, playbook.title) == ("child_death", "Renamed")
    assert Playbook.objects.filter(kind="other").count() == 1


def test_there_is_one_playbook_per_kind(admin_client, playbook):
    before = _snapshot()
    data = {"kind": "child_death", "title": "A second one"}
    for prefix in ("obligations", "ladder"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
                 f"{prefix}-MAX_NUM_FORMS": "1000"}
    response = admin_client.post("/admin/clocks/playbook/add/", data)
    assert response.status_code == 200
    assert "There is already a playbook for this kind of incident" in response.content.decode()
    assert _snapshot() == before


def test_deleting_a_playbook_is_not_offered(admin_client, playbook):
    change = admin_client.get(_url(playbook)).content.decode()
    assert f"/admin/clocks/playbook/{playbook.pk}/delete/" not in change
    listing = admin_client.get("/admin/clocks/playbook/").content.decode()
    assert "delete_selected" not in listing
    assert admin_client.post(f"/admin/clocks/playbook/{playbook.pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin_client.post("/admin/clocks/playbook/", {"action": "delete_selected", "_selected_action":
                                                                [playbook.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    assert Playbook.objects.filter(pk=playbook.pk).exists()
    assert playbook.obligations.count() == 6


def test_staff_with_the_model_permissions_edit_playbooks_and_others_do_not(client, cast, playbook):
    editor = User.objects.create_user("pat", password="pw-for-admin-tests", full_name="Pat Playbooks", is_staff=True)
    client.force_login(editor)
    assert client.get(_url(playbook)).status_code == 403
    editor.user_permissions.set(Permission.objects.filter(
        content_type__app_label="clocks",
        codename__in=[f"{verb}_{model}" for model in ("playbook", "playbookobligation", "playbookstep")
                      for verb in ("view", "add", "change", "delete")]))
    editor = User.objects.get(pk=editor.pk)  # permissions are cached on the instance
    client.force_login(editor)
    row = _row(playbook, "rapid_review")
    response = client.post(_url(playbook), _form(playbook, **{f"obligations__{row}__amount": "14"}))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PlaybookObligation.objects.get(playbook=playbook, code="rapid_review").amount == 14
    assert client.post(f"/admin/clocks/playbook/{playbook.pk}/delete/", {"post": "yes"}).status_code == 403


# --- incidents' obligations: read only --------------------------------------------------------------------


def test_the_obligation_admin_lists_an_incidents_obligations_read_only(admin_client, incident):
    listing = admin_client.get("/admin/clocks/obligation/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert incident.reference in html and "panel_notification" in html and "Notify the Child Safeguarding" in html
    assert "delete_selected" not in html
    assert admin_client.get("/admin/clocks/obligation/?status__exact=pending&clock__exact=working_days"
                            ).status_code == 200

    panel = Obligation.objects.get(incident=incident, code="panel_notification")
    page = admin_client.get(f"/admin/clocks/obligation/{panel.pk}/change/")
    assert page.status_code == 200 and 'name="status"' not in page.content.decode()  # shown, not offered
    admin_client.post(f"/admin/clocks/obligation/{panel.pk}/change/", {"status": "done", "amount": "99"})
    panel.refresh_from_db()
    assert (panel.status, panel.amount) == ("pending", 5)
    assert admin_client.get("/admin/clocks/obligation/add/").status_code == 403
    assert admin_client.post(f"/admin/clocks/obligation/{panel.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Obligation.objects.filter(pk=panel.pk).exists()
    assert admin_client.get(f"/admin/clocks/obligation/{panel.pk}/history/").status_code == 200


def test_obligations_are_seen_exactly_as_their_incidents_are(admin_client, incident, restricted):
    site = AdminSite(admin_client.admin)
    seen = set(incidents.restrict(site, Action.VIEW).values_list("pk", flat=True))
    listed = set(obligations.restrict(site, ObligationAction.VIEW).values_list("incident_id", flat=True))
    assert listed == seen == {incident.pk, restricted.pk}
    # ...and the two admin pages agree on the restricted incident
    assert restricted.reference in admin_client.get("/admin/incidents/incident/").content.decode()
    assert restricted.reference in admin_client.get("/admin/clocks/obligation/").content.decode()


def test_outside_the_admin_site_no_obligation_is_seen(cast, incident, restricted):
    assert not cast.charlie.is_staff
    assert not obligations.restrict(AdminSite(cast.charlie), ObligationAction.VIEW).exists()


def test_an_outsider_is_sent_to_log_in(client, cast, playbook, incident):
    client.force_login(cast.charlie)  # not staff
    panel = Obligation.objects.get(incident=incident, code="panel_notification")
    for url in ("/admin/clocks/playbook/", _url(playbook), "/admin/clocks/obligation/",
                f"/admin/clocks/obligation/{panel.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), url
    row = _row(playbook, "panel_notification")
    response = client.post(_url(playbook), _form(playbook, **{f"obligations__{row}__amount": "1"}))
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    assert PlaybookObligation.objects.get(playbook=playbook, code="panel_notification").amount == 5


# --- the outbox and the reminders --------------------------------------------------------------------------


def test_reminder_emails_show_where_they_stand_not_what_they_say(admin_client, cast):
    email = Email.objects.create(kind="clocks", recipient=cast.alice, to="alice@example.org",
                                 subject="HBR-1: Secret subject", body="A secret body")
    for url in ("/admin/core/email/", f"/admin/core/email/{email.pk}/change/"):
        html = admin_client.get(url).content.decode()
        assert "alice@example.org" in html and "Secret subject" not in html and "A secret body" not in html
    # nor read a letter at a time by filtering on the hidden fields
    for query in ("subject__startswith=HBR", "body__icontains=secret", "about_id=1"):
        listing = admin_client.get(f"/admin/core/email/?{query}")
        assert listing.status_code == 400 and "Secret subject" not in listing.content.decode(), query
    assert admin_client.get("/admin/core/email/?kind=clocks").status_code == 200
    for url in ("/admin/core/notice/", "/admin/incidents/reminder/", "/admin/incidents/incidentemail/"):
        assert admin_client.get(url).status_code == 404, url  # reminders are messages to one person


def test_the_old_addresses_of_the_clocks_admin_pages_still_arrive(admin_client, playbook, incident):
    """The pages moved with their models into the clocks wing (/admin/clocks/…); links kept from before
    are sent on, with their query, and the admin's other incident pages are where they were."""
    panel = Obligation.objects.get(incident=incident, code="panel_notification")
    for old, new in ((f"/admin/incidents/playbook/{playbook.pk}/change/", _url(playbook)),
                     ("/admin/incidents/obligation/?status__exact=pending",
                      "/admin/clocks/obligation/?status__exact=pending"),
                     (f"/admin/incidents/obligation/{panel.pk}/history/", f"/admin/clocks/obligation/{panel.pk}/history/")):
        response = admin_client.get(old)
        assert response.status_code == 301 and response.url == new, old
        assert admin_client.get(new).status_code == 200, new
    assert admin_client.get("/admin/incidents/incident/").status_code == 200
