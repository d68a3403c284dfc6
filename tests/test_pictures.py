"""Pictures where people would rather look than read (issue 11, point 7), on their pages: the incident's
time line in the workspace, how many have read a briefing over time, and the wellbeing leads' check-ins by
week. Each is a server-drawn SVG with a table of the same numbers; each shows only to those who may see its
numbers, names nobody, and costs the same number of queries however much data lies behind it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from comms import releases as comms_releases
from comms import services as comms
from comms.models import InboxItem
from incidents import services
from support.models import FollowUp, FollowUpKind, FollowUpStatus
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _page(client, who, url):
    client.force_login(who)
    return client.get(url)


def _rows(body: str, ident: str) -> list[list[str]]:
    """The rows of the table beneath the chart `ident`."""
    figure = body[body.index(f'<figure class="harbour-chart" id="{ident}">'):]
    figure = figure[:figure.index("</figure>")]
    return [re.findall(r'<td class="govuk-table__cell">(.*?)</td>', row)
            for row in re.findall(r"<tbody.*?>(.*?)</tbody>", figure, re.S)[0].split("</tr>") if "<td" in row]


def _release(cast, incident, subject="Briefing", recipients=("bob",)):
    message = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                  recipients=list(recipients), subject=subject, body="What happened.")
    comms.message_submit(actor=cast.alice, message_id=message.pk)
    comms.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=message.pk)
    message.refresh_from_db()
    return message


# --- the incident's time line ------------------------------------------------------------------------------


class TestTimeline:
    def test_status_changes_decisions_and_releases_are_drawn_with_a_table(self, cast, client, incident):
        services.decision_record(actor=cast.alice, incident_id=incident.pk, decision="Brief staff first",
                                 rationale="r")
        _release(cast, incident, subject="Briefing for the team")
        services.incident_transition(actor=cast.alice, incident_id=incident.pk, status="stabilising",
                                     reason="Family supported")
        body = _page(client, cast.bob, f"/incidents/{incident.pk}/panels/timeline/").content.decode()
        ident = f"timeline-chart-{incident.pk}"
        assert 'role="img"' in body and f'aria-labelledby="{ident}-title {ident}-desc"' in body
        kinds = [row[1] for row in _rows(body, ident)]
        assert kinds == ["Status changes", "Decisions", "Messages released", "Status changes"]
        for lane in ("Status changes (2)", "Decisions (1)", "Messages released (1)"):
            assert lane in body
        assert body.index(ident) < body.index('class="harbour-timeline"')  # above the list
        # Members added, obligations started: in the list, not in the picture.
        assert "Member added" not in "".join(row[1] for row in _rows(body, ident))

    def test_it_is_in_the_workspace_and_redraws_with_the_panel(self, cast, client, incident):
        body = _page(client, cast.bob, f"/incidents/{incident.pk}/").content.decode()
        panel = body[body.index('id="panel-timeline"'):]
        assert f'id="timeline-chart-{incident.pk}"' in panel[:panel.index('class="harbour-timeline"')]

    def test_outsiders_see_nothing_of_it(self, cast, client, restricted):
        for url in (f"/incidents/{restricted.pk}/", f"/incidents/{restricted.pk}/panels/timeline/"):
            response = _page(client, cast.sam, url)
            assert response.status_code == 404 and b"timeline-chart" not in response.content

    def test_the_panel_costs_the_same_however_long_the_timeline(self, cast, client, incident,
                                                                django_assert_max_num_queries):
        client.force_login(cast.bob)
        with django_assert_max_num_queries(9) as few:
            client.get(f"/incidents/{incident.pk}/panels/timeline/")
        for i in range(8):
            services.decision_record(actor=cast.alice, incident_id=incident.pk, decision=f"d{i}", rationale="r")
        with django_assert_max_num_queries(len(few.captured_queries)):
            body = client.get(f"/incidents/{incident.pk}/panels/timeline/").content.decode()
        assert "Decisions (8)" in body


# --- how many have read a briefing -------------------------------------------------------------------------


class TestReads:
    def _readers(self, cast, incident, n: int, read: int):
        people = [make_user(f"reader{i}", f"Reader Number{i}") for i in range(n)]
        message = _release(cast, incident, recipients=[p.username for p in people])
        released = message.released_at
        for i, person in enumerate(people[:read]):
            InboxItem.objects.filter(message=message, recipient=person).update(
                acknowledged_at=released + dt.timedelta(minutes=5 + 70 * (i % 2)))
        return message

    def test_the_cumulative_count_over_time_out_of_how_many_it_went_to(self, cast, client, incident):
        people = [make_user(f"reader{i}", f"Reader Number{i}") for i in range(12)]
        message = _release(cast, incident, recipients=[p.username for p in people])
        # Two read in the first hour, four in the second, five in the third: one has not read it yet.
        for i, person in enumerate(people[:11]):
            hour = 0 if i < 2 else 1 if i < 6 else 2
            InboxItem.objects.filter(message=message, recipient=person).update(
                acknowledged_at=message.released_at + dt.timedelta(minutes=10 + 60 * hour))
        with time_machine.travel(message.released_at + dt.timedelta(hours=4), tick=False):
            body = _page(client, cast.cora, f"/messages/{message.pk}/").content.decode()
        assert "Read over time" in body and f'id="reads-chart-{message.pk}"' in body
        rows = _rows(body, f"reads-chart-{message.pk}")
        # "2 of 12" would time the first readers, "11 of 12" pick out the one who has not: neither is said.
        assert [row[1] for row in rows] == ["fewer than 5 of 12", "6 of 12", "all but fewer than 5 of 12"]
        assert rows[0][0].startswith("Until ") and rows[0][0].endswith(rows[1][0][-5:])  # no time of its own
        assert "Sent to 12" in body and "All but fewer than 5 of the 12 people it went to" in body
        chart = body[body.index(f'id="reads-chart-{message.pk}"'):]
        assert chart.count('stroke-dasharray="4 3"') == 2  # the two withheld stretches, drawn as bands

    def test_a_few_readers_of_five_are_one_withheld_step(self, cast, client, incident):
        message = self._readers(cast, incident, 5, 3)  # two read in the first hour, one in the second
        body = _page(client, cast.cora, f"/messages/{message.pk}/").content.decode()
        assert [row[1] for row in _rows(body, f"reads-chart-{message.pk}")] == ["fewer than 5 of 5"]
        assert "Fewer than 5 of the 5 people it went to have said they have read it" in body

    def test_it_names_no_reader(self, cast, client, incident):
        message = self._readers(cast, incident, 5, 5)
        body = _page(client, cast.cora, f"/messages/{message.pk}/").content.decode()
        section = body[body.index('data-testid="reads-over-time"'):]
        section = section[:section.index("</section>")]
        assert "Reader" not in section and "reader" not in section

    def test_nobody_has_read_it_yet_says_so(self, cast, client, incident):
        message = self._readers(cast, incident, 5, 0)
        body = _page(client, cast.cora, f"/messages/{message.pk}/").content.decode()
        assert "Nobody has said they have read it yet." in body and "reads-chart" in body

    @pytest.mark.parametrize("sent_to", [1, 2, 4])
    def test_a_briefing_to_a_few_is_not_drawn_over_time(self, cast, client, incident, sent_to):
        message = self._readers(cast, incident, sent_to, sent_to)
        body = _page(client, cast.cora, f"/messages/{message.pk}/").content.decode()
        assert "reads-chart" not in body and "Sent to fewer than 5 people, so it is not drawn over time" in body
        # nor counted: "all of them have read it" says of each of them that they have
        assert "Not shown: it went to fewer than 5 people" in body and f"{sent_to} of" not in body

    def test_only_for_those_who_see_delivery(self, cast, client, incident):
        message = self._readers(cast, incident, 5, 1)
        for who in (cast.bob, cast.olive, cast.sam):  # members, observers and senior leaders outside
            response = _page(client, who, f"/messages/{message.pk}/")
            assert response.status_code == 200 and b"reads-chart" not in response.content
        assert _page(client, cast.charlie, f"/messages/{message.pk}/").status_code == 404

    def test_not_before_release(self, cast, client, incident):
        draft = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                    recipients=["bob"], subject="S", body="B")
        assert b"reads-chart" not in _page(client, cast.cora, f"/messages/{draft.pk}/").content

    def test_the_page_costs_the_same_however_many_readers(self, cast, client, incident,
                                                          django_assert_max_num_queries):
        few = self._readers(cast, incident, 5, 5)  # the fewest drawn
        client.force_login(cast.cora)
        with django_assert_max_num_queries(60) as small:
            client.get(f"/messages/{few.pk}/")
        many = _release(cast, incident, subject="To many",
                        recipients=[make_user(f"many{i}", f"Many {i}").username for i in range(12)])
        InboxItem.objects.filter(message=many).update(acknowledged_at=timezone.now())
        with django_assert_max_num_queries(len(small.captured_queries)):
            body = client.get(f"/messages/{many.pk}/").content.decode()
        assert "12 of 12" in body


# --- check-ins by week, for the wellbeing leads ------------------------------------------------------------


def _follow_up(incident, person, assignee, *, due_at, status=FollowUpStatus.SCHEDULED, closed_at=None,
               kind=FollowUpKind.CHECK_IN):
    return FollowUp.objects.create(
        incident=incident, person=person, assignee=assignee, kind=kind, label="1:1 check-in", due_at=due_at,
        status=status, closed_at=closed_at, outcome="ok" if status == FollowUpStatus.COMPLETED else "")


def _monday(when: dt.datetime) -> str:
    day = timezone.localtime(when).date()
    monday = day - dt.timedelta(days=day.weekday())
    return f"{monday.day} {monday:%b}"


class TestCheckIns:
    def test_due_done_and_declined_by_week_for_a_wellbeing_lead(self, cast, client, incident, people):
        now = timezone.now()
        last_week = now - dt.timedelta(weeks=1)
        staff = [cast.bob, cast.olive, cast.tom, cast.cora, cast.charlie]
        for person in staff:  # five people with a check-in due this week
            _follow_up(incident, person, people.pat, due_at=now)
        _follow_up(incident, cast.bob, people.pat, due_at=last_week, status=FollowUpStatus.COMPLETED,
                   closed_at=last_week)
        for _ in range(5):  # five check-ins of one person, declined: one person, not five
            _follow_up(incident, cast.olive, people.pat, due_at=last_week, status=FollowUpStatus.DECLINED,
                       closed_at=last_week)
        _follow_up(incident, cast.bob, people.pat, due_at=now, status=FollowUpStatus.CANCELLED)  # not counted
        _follow_up(incident, cast.bob, people.pat, due_at=now - dt.timedelta(weeks=20))  # too long ago
        _follow_up(incident, cast.bob, people.pat, due_at=now, kind=FollowUpKind.SUPPORT_REQUEST)  # a request

        response = _page(client, people.ruth, "/support/exposure/")
        body = response.content.decode()
        assert response.status_code == 200 and "Check-ins by week" in body
        rows = _rows(body, "check-ins-by-week")
        assert len(rows) == 12
        by_week = {row[0]: row[1:] for row in rows}
        assert by_week[_monday(now)] == ["5", "0", "0"]
        # a week with one person done and one declining says so without saying one
        assert by_week[_monday(last_week)] == ["0", "fewer than 5", "fewer than 5"]
        assert all(n == "0" for week, row in by_week.items() if week not in (_monday(now), _monday(last_week))
                   for n in row)
        chart = body[body.index('id="check-ins-by-week"'):]
        # no total beside a withheld week: it would give the week away (the due column has none withheld)
        assert "Fewer than 5: not drawn exactly" in chart and "In all: due, still scheduled 5. " in chart

    def test_counts_only_never_names(self, cast, client, incident, people):
        _follow_up(incident, cast.bob, people.pat, due_at=timezone.now())
        body = _page(client, people.ruth, "/support/exposure/").content.decode()
        section = body[body.index('data-testid="check-ins-by-week"'):]
        section = section[:section.index("</section>")]
        for name in ("Bob", "Pat", "Brown", incident.title, incident.reference):
            assert name not in section

    def test_nothing_to_show_says_so(self, cast, client, people):
        body = _page(client, people.ruth, "/support/exposure/").content.decode()
        assert "No check-ins were due, done or declined in the last 12 weeks." in body

    def test_managers_and_staff_are_refused(self, cast, client, incident, people):
        _follow_up(incident, cast.bob, people.pat, due_at=timezone.now())
        for who in (people.mike, cast.bob, cast.alice):
            response = _page(client, who, "/support/exposure/")
            assert response.status_code == 403 and b"check-ins-by-week" not in response.content
        for who in (people.mike, cast.bob):  # nor on any page they do see
            assert b"check-ins-by-week" not in _page(client, who, "/support/requests/").content

    def test_the_page_costs_the_same_however_many_check_ins(self, cast, client, incident, people,
                                                            django_assert_max_num_queries):
        client.force_login(people.ruth)
        _follow_up(incident, cast.bob, people.pat, due_at=timezone.now())
        with django_assert_max_num_queries(40) as small:
            client.get("/support/exposure/")
        for weeks in range(10):
            when = timezone.now() - dt.timedelta(weeks=weeks)
            _follow_up(incident, cast.olive, people.pat, due_at=when)
            _follow_up(incident, cast.bob, people.pat, due_at=when, status=FollowUpStatus.COMPLETED, closed_at=when)
        with django_assert_max_num_queries(len(small.captured_queries)):
            client.get("/support/exposure/")
