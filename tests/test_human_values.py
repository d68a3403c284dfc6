"""Issue 11, point 5: what a person reads shows human values. History, diffs, the timeline and its export
say "Restricted: no", "Press statement", "Content note", "Alice Adams" and "1 Jul 2025, 09:15" (UK time),
never True, press_statement, content_note, alice or an ISO string; the admin speaks English plurals. The
API keeps its machine values."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.apps import apps
from django.contrib import admin

from comms import services as comms_services
from incidents import services
from incidents.membership import member_add, member_remove
from incidents.models import TimelineEvent
from people.models import User
from tests.test_pages import streamed

pytestmark = pytest.mark.django_db

# 07:00 and 08:15 UTC on a summer's day are 08:00 and 09:15 in London (BST): a page showing UTC, or the
# server's clock, would be an hour out.
SUMMER_OCCURRED = dt.datetime(2025, 7, 1, 7, 0, tzinfo=dt.UTC)
SUMMER_AWARE = dt.datetime(2025, 7, 1, 8, 15, tzinfo=dt.UTC)
ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
USERNAMES = re.compile(r"\b(alice|tom|bob|olive|cora|sam|charlie)\b")  # the cast's usernames, lower case
FIELD_NAMES = re.compile(r"\b[a-z]+_[a-z_]+\b")  # content_note, aware_at, press_statement…
UK_TIME = re.compile(r"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}, \d{2}:\d{2}$")


def shown(body: str) -> str:
    """The text a person reads: no tags, attributes or scripts; entities decoded; spaces collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", body))).strip()


def history_text(client, user, incident) -> str:
    client.force_login(user)
    response = client.get(f"/incidents/{incident.pk}/panels/history/")
    assert response.status_code == 200
    return shown(response.content.decode())


def assert_no_machine_values(text: str) -> None:
    assert not ISO.search(text), ISO.search(text)
    assert not USERNAMES.search(text), USERNAMES.search(text)
    assert not FIELD_NAMES.search(text), FIELD_NAMES.search(text)
    assert "True" not in text and "False" not in text and "None" not in text


class TestHistory:
    def test_an_incident_change_reads_in_words_names_and_uk_times(self, cast, client, incident):
        services.incident_update(actor=cast.tom, incident_id=incident.pk, changes={
            "restricted": True, "severity": "moderate", "occurred_at": SUMMER_OCCURRED, "aware_at": SUMMER_AWARE,
        })
        text = history_text(client, cast.olive, incident)
        assert "Tom Tactical" in text  # who, by name
        assert "Restricted: no → yes" in text
        assert "Severity: Critical → Moderate" in text
        assert "→ 1 Jul 2025, 08:00" in text and "→ 1 Jul 2025, 09:15" in text  # BST, not UTC
        # The incident as opened: a yes/no, labels, names.
        assert "Restricted: no" in text and "Kind: Death of a child" in text and "Opened by: Alice Adams" in text
        assert "Membership of Tom Tactical created" in text and "Role: Tactical lead" in text
        assert_no_machine_values(text)

    def test_the_workspace_page_shows_the_same(self, cast, client, incident):
        services.incident_update(actor=cast.alice, incident_id=incident.pk, changes={"restricted": True})
        client.force_login(cast.bob)
        page = shown(client.get(f"/incidents/{incident.pk}/").content.decode())
        history = page.split("This record cannot be edited.")[1]
        assert "Restricted: no → yes" in history and "Alice Adams" in history
        assert not ISO.search(history) and "True" not in history and not USERNAMES.search(history)

    def test_messages_and_approvals_read_by_their_labels(self, cast, client, incident):
        message = comms_services.message_draft(
            actor=cast.cora, incident_id=incident.pk, audience="all_staff", subject="Statement",
            body="We are deeply saddened.", content_note="")
        comms_services.message_edit(actor=cast.cora, message_id=message.pk,
                                    changes={"content_note": "Mentions a child's death"})
        comms_services.message_submit(actor=cast.cora, message_id=message.pk)
        comms_services.message_approve(actor=cast.alice, message_id=message.pk, version=2)
        text = history_text(client, cast.olive, incident)
        assert "Audience: All staff" in text and "Author: Cora Comms" in text
        assert "Content note: (empty) → Mentions a child's death" in text
        assert "Status: Draft → In review" in text
        # The approval names its message, not its id, and says yes or no.
        assert "Approval of “Statement”, version 2 created" in text
        assert "Approver: Alice Adams" in text and "As command: yes" in text and "As comms: no" in text
        assert "Message: " not in text  # the approval's name already says which message
        assert_no_machine_values(text)

    def test_a_correction_names_the_decision_it_corrects(self, cast, client, incident):
        first = services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="Old call", rationale="r")
        services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="New call", rationale="r",
                                 corrects=first.pk)  # an entry, by its id (its number shows)
        text = history_text(client, cast.olive, incident)
        assert "Corrects: Decision 1" in text and "Decided by: Bob Brown" in text
        assert_no_machine_values(text)

    def test_a_person_outside_the_incident_is_named_too(self, cast, client, incident):
        member_add(actor=cast.alice, incident_id=incident.pk, user=cast.charlie, role="member", reason="Helps")
        member_remove(actor=cast.alice, incident_id=incident.pk, username="charlie", reason="Done")
        text = history_text(client, cast.olive, incident)
        assert "Membership of Charlie Outsider" in text and "Removed by: (empty) → Alice Adams" in text
        assert_no_machine_values(text)

    def test_the_api_keeps_machine_values(self, cast, api, incident):
        services.incident_update(actor=cast.tom, incident_id=incident.pk, changes={
            "restricted": True, "occurred_at": SUMMER_OCCURRED, "aware_at": SUMMER_AWARE})
        history = api(cast.alice).get(f"/api/incidents/{incident.pk}/history/").json()["results"]
        changed = next(h for h in history if h["model"] == "Incident" and h["action"] == "changed")
        assert changed["user"] == "tom" and changed["at"].count("T") == 1
        changes = {c["field"]: c for c in changed["changes"]}
        assert changes["restricted"]["old"] is False and changes["restricted"]["new"] is True
        assert dt.datetime.fromisoformat(changes["aware_at"]["new"]) == SUMMER_AWARE


class TestTimeline:
    def test_the_timeline_shows_uk_times_with_the_year(self, cast, client, incident):
        TimelineEvent.objects.create(incident=incident, at=SUMMER_AWARE, type="decision.recorded",
                                     summary="A summer event")
        client.force_login(cast.olive)
        body = client.get(f"/incidents/{incident.pk}/panels/timeline/").content.decode()
        assert "1 Jul 2025, 09:15" in shown(body) and "A summer event" in body
        assert_no_machine_values(shown(body))


class TestTimelineExport:
    def read(self, client, user, incident) -> tuple[bytes, list[list[str]]]:
        client.force_login(user)
        response = client.get(f"/incidents/{incident.pk}/timeline.csv")
        assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
        raw = b"".join(streamed(response))
        return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))

    def test_oldest_first_with_a_header_a_spreadsheet_user_reads(self, cast, client, incident):
        comms_services.message_draft(actor=cast.cora, incident_id=incident.pk, audience="all_staff",
                                     subject="Briefing", body="What we know.")
        raw, rows = self.read(client, cast.olive, incident)
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark: Excel reads accents right
        assert rows[0] == ["When (UK time)", "What happened", "By", "Details"]
        events = rows[1:]
        assert len(events) == TimelineEvent.objects.filter(incident=incident).count()
        assert events[0][1:3] == ["Incident opened", "Alice Adams"]  # the oldest first
        assert events[0][3].startswith("Alice Adams opened ")
        assert events[-1][1:3] == ["Message drafted", "Cora Comms"]  # the newest last
        assert [e[1] for e in events[1:5]] == ["Member added"] * 4
        for when, *_ in events:
            assert UK_TIME.match(when), when
        assert_no_machine_values(" ".join(cell for row in events for cell in row[:3]))

    def test_times_are_uk_local_and_accents_survive(self, cast, client, incident):
        cast.tom.full_name = "Siobhán Ó Dónaill"
        cast.tom.save()
        TimelineEvent.objects.create(incident=incident, at=SUMMER_AWARE, actor=cast.tom, type="decision.recorded",
                                     summary="Decision 1 recorded")
        TimelineEvent.objects.create(incident=incident, at=SUMMER_AWARE, type="something.new_kind",
                                     summary="Harbour did it")
        _raw, rows = self.read(client, cast.olive, incident)
        assert rows[-2] == ["1 Jul 2025, 09:15", "Decision recorded", "Siobhán Ó Dónaill", "Decision 1 recorded"]
        # An event no wing names still reads as words; one nobody did was Harbour's own.
        assert rows[-1] == ["1 Jul 2025, 09:15", "Something new kind", "Harbour", "Harbour did it"]

    def test_formula_like_text_is_still_neutralised(self, cast, client, incident):
        cast.bob.full_name = "@SUM(1)"
        cast.bob.save()
        services.decision_record(actor=cast.bob, incident_id=incident.pk, decision="=cmd|' /C calc'!A0",
                                 rationale="r")
        _raw, rows = self.read(client, cast.olive, incident)
        assert rows[-1][2] == "'@SUM(1)" and rows[-1][3].startswith("Decision 1 recorded by @SUM(1)")


class TestMessageDiff:
    def test_the_diff_names_each_part_and_the_audience_by_its_label(self, cast, client, incident):
        message = comms_services.message_draft(actor=cast.cora, incident_id=incident.pk, audience="all_staff",
                                               subject="Holding line", body="We are aware.", content_note="")
        comms_services.message_edit(actor=cast.cora, message_id=message.pk, changes={
            "audience": "leadership", "content_note": "Distressing", "body": "We are aware and helping."})
        client.force_login(cast.olive)
        body = client.get(f"/messages/{message.pk}/diff/?from=1&to=2").content.decode()
        headings = re.findall(r'<h2 class="govuk-heading-s">([^<]+)</h2>', body)
        assert headings == ["Audience", "Subject", "Content note", "Body"]
        text = shown(body)
        assert "<del>All staff</del><ins>Leadership</ins>" in body  # the labels compared, word by word
        assert "Contentnote" not in text and "all_staff" not in text and "leadership" not in text
        assert "<ins>Distressing</ins>" in body

    def test_the_api_diff_keeps_the_codes(self, cast, api, incident):
        message = comms_services.message_draft(actor=cast.cora, incident_id=incident.pk, audience="holding_statement",
                                               subject="Holding line", body="We are aware.")
        comms_services.message_edit(actor=cast.cora, message_id=message.pk, changes={"audience": "press_statement"})
        diff = api(cast.olive).get(f"/api/messages/{message.pk}/diff/?from=1&to=2").json()
        assert "press_statement" in "".join(op["text"] for op in diff["fields"]["audience"])


class TestAdminPlurals:
    OURS = ("incidents", "clocks", "comms", "support")

    def test_every_model_has_an_english_plural(self):
        for model in apps.get_models():
            meta = model._meta
            if meta.app_label not in self.OURS or meta.auto_created or "_" in meta.object_name:
                continue  # simple-history's tables for tracked many-to-many fields have no admin or page
            singular, plural = str(meta.verbose_name), str(meta.verbose_name_plural)
            assert "_" not in plural and plural == plural.lower(), (meta.label, plural)
            assert not re.search(r"[^aeiou]ys$", plural), (meta.label, plural)  # "enquirys"
            assert not re.search(r"(s|x|ch|sh)s$", plural), (meta.label, plural)  # "informeds" is caught below
            if singular.endswith(("ed", "y", "s")):
                assert plural != f"{singular}s", (meta.label, plural)
        assert str(apps.get_model("comms", "MediaEnquiry")._meta.verbose_name_plural) == "media enquiries"
        assert str(apps.get_model("support", "FollowUp")._meta.verbose_name_plural) == "follow-ups"
        assert str(apps.get_model("comms", "FamilyInformed")._meta.verbose_name_plural) == "family informed records"

    def test_the_admin_index_and_lists_read_in_english(self, client, cast):
        root = User.objects.create_superuser("root", "root@example.org", "pw-for-admin-tests", full_name="Root Admin")
        client.force_login(root)
        index = shown(client.get("/admin/").content.decode())
        assert "Media enquiries" in index and "Follow-ups" in index and "People on the exposure register" in index
        assert "enquirys" not in index.lower() and "follow ups" not in index.lower()
        for model in admin.site._registry:
            meta = model._meta
            if meta.app_label not in self.OURS:
                continue
            page = client.get(f"/admin/{meta.app_label}/{meta.model_name}/")
            assert page.status_code == 200, meta.label
            assert f"Select {meta.verbose_name} to " in shown(page.content.decode()), meta.label
