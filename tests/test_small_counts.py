"""Nothing that singles a person out (issue 18, point 4): every count about people shown to anyone but the
people counted goes through core/small_counts.py. Below HARBOUR_SMALL_COUNT (5) it says "fewer than 5" on
a page and is `null` with `"suppressed": true` in the API; a part of a group is withheld too when the rest
of the group is that small, so no pair of counts shown together differs by fewer than 5 people where the
smaller is withheld. Tested on the rule itself, for every small group, and on each surface: the Staff
support tab, its API and the summary; a briefing's read count on its page, the lists, the approvals board,
the API and the board's socket; a debrief's answers; and the wellbeing leads' chart."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured

from comms import releases as comms_releases
from comms import services as comms
from comms.models import InboxItem
from core.small_counts import alone, part
from incidents.membership import member_add
from incidents.models import TimelineEvent
from support import debriefing as support_debriefing
from support import selectors
from support import services as support
from support.models import FollowUp
from tests.factories import make_user
from tests.test_configuration import django
from tests.test_pages import streamed

pytestmark = pytest.mark.django_db

FEWER = {"count": None, "suppressed": True, "words": "fewer than 5"}
ALL_BUT = {"count": None, "suppressed": True, "words": "all but fewer than 5"}


def shown(n: int) -> dict:
    return {"count": n, "suppressed": False, "words": str(n)}


# --- the rule ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [3, 4, 5, 6, 7])
def test_no_hidden_part_of_any_group_can_be_told_from_what_is_shown(settings, k):
    """For every group up to three times k, and every part of it: what a reader sees narrows the part to
    at least two numbers unless it is shown, and what is shown never leaves a small remainder."""
    settings.HARBOUR_SMALL_COUNT = k
    for of in range(0, 3 * k + 3):
        said: dict[str, set[int]] = {}
        for n in range(of + 1):
            count = part(n, of)
            said.setdefault(count.words, set()).add(n)
            if count.suppressed:
                assert count.low <= n <= count.high and count.words != str(n)
                continue
            assert count.count == n
            if of:  # a shown part: none, all, or both it and the rest of the group at least k
                assert n in (0, of) or (n >= k and of - n >= k), (k, of, n)
                assert of >= k, (k, of, n)
        for words, values in said.items():
            if words.isdigit():
                assert values == {int(words)}
            elif of:
                assert len(values) >= 2, (k, of, words, values)  # never one number in words
                if words.startswith("fewer than"):
                    assert max(values) < k
                if words.startswith("all but"):
                    assert min(of - v for v in values) >= 1 and max(of - v for v in values) < k


def test_a_count_on_its_own_says_fewer_than_5_from_1_to_4():
    assert [alone(n).words for n in range(7)] == ["0", *["fewer than 5"] * 4, "5", "6"]
    assert alone(3).as_api() == FEWER and alone(12).as_api() == shown(12)


@pytest.mark.parametrize(("n", "of", "words"), [
    (0, 3, "fewer than 5"),  # a group of three: not even "none of them" is said
    (3, 3, "fewer than 5"),
    (0, 6, "0"), (6, 6, "6"),  # none, or all, of a group of six: nobody is told apart
    (1, 6, "fewer than 5"),
    (5, 6, "all but fewer than 5"),  # "5 of 6" would pick out the one
    (4, 6, "all but fewer than 5"),  # ...and so would "4 of 6" beside it: the boundary moves
    (5, 10, "5"), (6, 10, "all but fewer than 5"), (4, 10, "fewer than 5"),
    (7, 14, "7"), (10, 14, "all but fewer than 5"),
])
def test_parts_of_a_group(n, of, words):
    assert part(n, of).words == words


def test_the_brief_s_complementary_example_cannot_be_worked_out():
    """Six people: five completed, one declined. "6" and "completed 5" would give "declined 1" away."""
    people, completed, declined = alone(6), part(5, 6), part(1, 6)
    assert people.words == "6" and completed.suppressed and declined.suppressed
    # what a reader is left with: completed from 4 to 5 and declined from 1 to 3, never one pair
    assert (completed.low, completed.high) == (4, 5) and (declined.low, declined.high) == (1, 3)


def test_the_threshold_is_one_setting(settings):
    settings.HARBOUR_SMALL_COUNT = 7
    assert alone(6).words == "fewer than 7" and part(7, 14).words == "7"
    settings.HARBOUR_SMALL_COUNT = 2
    with pytest.raises(ImproperlyConfigured):
        alone(1)


def test_a_threshold_below_3_stops_start_up():
    result = django("check", HARBOUR_SMALL_COUNT="2")
    assert result.returncode != 0 and "HARBOUR_SMALL_COUNT must be 3 or more" in result.stderr


def nothing_told_apart(counts: dict, k: int = 5) -> None:
    """The API's counts, as a reader would check them: no shown count is small, and no shown part of the
    register differs from the shown number on it by fewer than k people."""
    people = counts["people"]["count"]
    for name, count in counts.items():
        if name == "small_count" or count["suppressed"]:
            continue
        assert count["count"] == 0 or count["count"] >= k, (name, count)
        if people is not None and name != "people":
            assert people - count["count"] == 0 or people - count["count"] >= k, (name, count, people)


# --- the Staff support tab, its API and the summary -------------------------------------------------------


def on_the_register(cast, incident, people, n: int) -> list:
    staff = [make_user(f"affected{i}", f"Affected Person{i}") for i in range(n)]
    for person in staff:
        support.register_add(actor=cast.alice, incident_id=incident.pk, user=person.username, exposure="witnessed",
                             reason="Was there", supporter="pat")
    return staff


def tab_counts(client, who, incident) -> dict[str, str]:
    client.force_login(who)
    body = client.get(f"/incidents/{incident.pk}/support/").content.decode()
    return dict(re.findall(r'data-count="(\w+)"(?: data-suppressed)?>([^<]*)<', body))


@pytest.mark.parametrize(("n", "people_words"), [
    (0, "0"), (1, "fewer than 5"), (4, "fewer than 5"), (5, "5"), (6, "6")])
def test_counts_of_0_1_4_5_and_6_people(api, client, cast, incident, people, n, people_words):
    on_the_register(cast, incident, people, n)
    body = api(cast.bob).get(f"/api/incidents/{incident.pk}/support-counts/").json()
    assert body["people"]["words"] == people_words and body["small_count"] == 5
    # each has three check-ins to come: all of them have one, so a group of five or more says so
    assert body["scheduled"] == (FEWER if 0 < n < 5 else shown(n))
    # none of them has declined: "0" is said only of a group large enough that it tells of nobody
    assert body["declined"] == (FEWER if 0 < n < 5 else shown(0))
    nothing_told_apart(body)
    for who in (cast.bob, cast.alice, cast.sam):  # the page: members, command and senior leaders alike
        page = tab_counts(client, who, incident)
        assert page["people"] == people_words and page["declined"] == ("fewer than 5" if 0 < n < 5 else "0")


def test_a_wellbeing_lead_in_the_incident_sees_the_same_withheld_counts(api, cast, incident, people):

    member_add(actor=cast.alice, incident_id=incident.pk, user=people.ruth,
                                 role="wellbeing_lead", reason="Staff support")
    on_the_register(cast, incident, people, 2)
    assert api(people.ruth).get(f"/api/incidents/{incident.pk}/support-counts/").json()["people"] == FEWER


def test_six_people_five_completed_one_declined(api, client, cast, incident, people):
    staff = on_the_register(cast, incident, people, 6)
    for person in staff:
        first = FollowUp.objects.filter(person=person).order_by("due_at").first()
        if person is staff[0]:
            support.follow_up_decline(actor=person, follow_up_id=first.pk)
        else:
            support.follow_up_complete(actor=people.pat, follow_up_id=first.pk, outcome="support_offered")
    body = api(cast.bob).get(f"/api/incidents/{incident.pk}/support-counts/").json()
    assert body["people"] == shown(6) and body["scheduled"] == shown(6)
    assert body["completed"] == ALL_BUT and body["declined"] == FEWER
    nothing_told_apart(body)
    page = tab_counts(client, cast.olive, incident)
    assert page["completed"] == "all but fewer than 5" and page["declined"] == "fewer than 5"
    assert ">1<" not in client.get(f"/incidents/{incident.pk}/support/").content.decode()


def test_ten_people_five_completed(api, cast, incident, people):
    staff = on_the_register(cast, incident, people, 10)
    for person in staff[:5]:
        first = FollowUp.objects.filter(person=person).order_by("due_at").first()
        support.follow_up_complete(actor=people.pat, follow_up_id=first.pk, outcome="support_offered")
    body = api(cast.bob).get(f"/api/incidents/{incident.pk}/support-counts/").json()
    assert body["completed"] == shown(5)  # five of ten: five either way
    nothing_told_apart(body)


def test_people_not_check_ins_are_counted(api, cast, incident, people):
    """One person's three declined check-ins are one person: "declined 3, people 1" was the probe's."""
    (person,) = on_the_register(cast, incident, people, 1)
    support.register_decline_all(actor=person, entry_id=person.exposures.get().pk)
    assert selectors.exact_counts(incident)["declined"] == 1
    body = api(cast.sam).get(f"/api/incidents/{incident.pk}/support-counts/").json()  # a senior leader outside
    assert body["declined"] == FEWER and body["people"] == FEWER


def test_the_summary_shows_the_tab_s_counts(client, cast, incident, people):
    on_the_register(cast, incident, people, 6)
    client.force_login(cast.sam)
    body = client.get(f"/incidents/{incident.pk}/summary/").content.decode()
    part_ = body[body.index('id="summary-open-actions"'):]
    assert "Staff with a check-in to come (counts only)" in part_ and ">6<" in part_
    assert "none with one past its time" in part_


def test_no_count_travels_on_a_socket(cast, incident, people, django_capture_on_commit_callbacks):
    (person,) = on_the_register(cast, incident, people, 1)
    sent = []
    with mock.patch("core.realtime.send_now", side_effect=lambda *a: sent.append(a)), \
            django_capture_on_commit_callbacks(execute=True):
        support.register_decline_all(actor=person, entry_id=person.exposures.get().pk)
    assert sent and all(not re.search(r"'(count|people|declined|scheduled)'", str(payload)) for payload in sent)


def test_the_timeline_counts_nobody_put_on_the_register_nor_any_check_in_had(
        api, client, cast, incident, people, django_capture_on_commit_callbacks):
    """Bob, a member who is no wellbeing lead, is told "fewer than 5" on the register; the timeline (its tab
    on the page, the API, the CSV export and the incident's socket) must not count them for him instead."""

    def what_bob_reads() -> tuple:
        events = api(cast.bob).get(f"/api/incidents/{incident.pk}/timeline/").json()["results"]
        client.force_login(cast.bob)
        page = client.get(f"/incidents/{incident.pk}/").content.decode()
        on_page = re.findall(r'data-event-id="(\d+)" data-event-type="([^"]+)"', page)
        export = b"".join(streamed(client.get(f"/incidents/{incident.pk}/timeline.csv"))).decode()
        return [(e["id"], e["type"], e["summary"]) for e in events], on_page, export

    before = what_bob_reads()
    sent = []
    with mock.patch("core.realtime.send_now", side_effect=lambda *a: sent.append(a)), \
            django_capture_on_commit_callbacks(execute=True):
        staff = on_the_register(cast, incident, people, 3)
        for person in staff[:2]:
            first = FollowUp.objects.filter(person=person).order_by("due_at").first()
            support.follow_up_complete(actor=people.pat, follow_up_id=first.pk, outcome="support_offered")
    assert api(cast.bob).get(f"/api/incidents/{incident.pk}/support-counts/").json()["people"] == FEWER
    assert what_bob_reads() == before
    assert not TimelineEvent.objects.filter(incident=incident, type__startswith="support.").exists()
    assert sent and "timeline.event" not in str(sent)  # nor pushed to the incident's sockets as it happened
    # The records keep their own history, for those who may read them.
    entry = staff[0].exposures.get()
    assert entry.history.latest().history_user == cast.alice
    completed = FollowUp.objects.get(person=staff[0], status="completed")
    assert completed.history.latest().history_user == people.pat


# --- a briefing's read count ------------------------------------------------------------------------------


def release_to(cast, incident, n: int):
    readers = [make_user(f"reader{i}", f"Reader Number{i}") for i in range(n)]
    message = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                  recipients=[p.username for p in readers], subject="Update", body="What we know.")
    comms.message_submit(actor=cast.alice, message_id=message.pk)
    comms.message_approve(actor=cast.cora, message_id=message.pk, version=1)
    comms_releases.message_release(actor=cast.cora, message_id=message.pk)
    message.refresh_from_db()
    return message, readers


@pytest.mark.parametrize(("read", "expected", "words"), [
    (0, shown(0), "0 of the 10"), (1, FEWER, "Fewer than 5 of the 10"), (4, FEWER, "Fewer than 5 of the 10"),
    (5, shown(5), "5 of the 10"), (6, ALL_BUT, "All but fewer than 5 of the 10")])
def test_read_counts_of_0_1_4_5_and_6_of_ten(api, client, cast, incident, read, expected, words):
    message, readers = release_to(cast, incident, 10)
    InboxItem.objects.filter(message=message, recipient__in=readers[:read]).update(acknowledged_at=message.released_at)
    body = api(cast.cora).get(f"/api/messages/{message.pk}/").json()
    assert body["acknowledged"] == expected and body["delivered_count"] == 10
    listed = api(cast.cora).get(f"/api/incidents/{incident.pk}/messages/").json()["results"]
    assert listed[0]["acknowledged"] == expected
    client.force_login(cast.cora)
    page = client.get(f"/messages/{message.pk}/").content.decode()
    assert f"{words} people it went to have said they have read it" in page
    short = words.split(" of the ")[0].lower() + " of 10"
    assert short in client.get(f"/incidents/{incident.pk}/comms/").content.decode()
    assert f"read by {short}" in client.get("/approvals/").content.decode()


def test_a_briefing_to_fewer_than_5_is_counted_for_nobody(api, client, cast, incident):
    message, readers = release_to(cast, incident, 4)
    InboxItem.objects.filter(message=message).update(acknowledged_at=message.released_at)  # all four read it
    assert api(cast.cora).get(f"/api/messages/{message.pk}/").json()["acknowledged"] == FEWER
    client.force_login(cast.cora)
    assert "not shown (sent to fewer than 5)" in client.get(f"/incidents/{incident.pk}/comms/").content.decode()


def test_the_board_is_told_only_when_the_count_as_shown_moves(cast, incident, django_capture_on_commit_callbacks):
    """A page that redrew at every read would time each reader's read on the watchers' screens."""
    message, readers = release_to(cast, incident, 10)
    told = []
    for reader in readers[:7]:
        with mock.patch("core.realtime.send_now") as send, django_capture_on_commit_callbacks(execute=True):
            comms_releases.message_acknowledge(actor=reader, message_id=message.pk)
        told.append(any(call.args[1].get("type") == "message.changed" for call in send.call_args_list))
    # 0 → fewer than 5 (told), 2nd–4th (not), → 5 (told), → all but fewer than 5 (told), 7th (not)
    assert told == [True, False, False, False, True, True, False]


# --- a debrief's answers ----------------------------------------------------------------------------------


def test_answers_on_the_incident_tab_for_an_invitee_and_for_the_facilitator(api, client, cast, incident, people):
    import datetime as dt

    from django.utils import timezone

    staff = [make_user(f"invited{i}", f"Invited Person{i}") for i in range(5)]
    starts = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(hour=10, minute=0, second=0,
                                                                               microsecond=0)
    debrief = support_debriefing.debrief_schedule(actor=cast.alice, incident_id=incident.pk, kind="hot", starts_at=starts,
                                       duration_minutes=60, location="Room 2", facilitator="ruth",
                                       invitees=["bob", *[p.username for p in staff]])
    for person in staff:
        support_debriefing.debrief_rsvp(actor=person, debrief_id=debrief.pk, response="accepted")
    support_debriefing.debrief_rsvp(actor=cast.bob, debrief_id=debrief.pk, response="declined")
    client.force_login(cast.bob)
    panel = client.get(f"/incidents/{incident.pk}/support/panel/debriefs/").content.decode()
    assert "5 coming, 0 maybe, fewer than 5 not coming, 0 not answered" in panel
    assert api(cast.bob).get(f"/api/debriefs/{debrief.pk}/").json()["responses"]["declined"] == FEWER
    client.force_login(people.ruth)
    assert "5 coming, 0 maybe, 1 not coming, 0 not answered" in client.get(f"/support/debriefs/{debrief.pk}/").content.decode()

