"""Every list is a page at a time: a long incident costs what a short one does (issue 8, point 1).

Pages and the API show the newest entries first with a way to older ones that works without JavaScript;
walking every page shows each entry exactly once; a position that is not one of ours is a 400 with a
message; and the queries, rows and bytes of a page stay the same however long the list behind it grows.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from comms import services as comms
from comms.models import InboxItem, Message
from core.errors import InvalidInput
from core.paging import PAGE_SIZE, Keyset, decode, encode
from incidents import services
from incidents.models import Decision, Incident, TimelineEvent
from incidents.selectors import DECISIONS
from people.models import User
from tests.factories import open_incident

pytestmark = pytest.mark.django_db


def grow(incident: Incident, actor, n: int, *, same_time: bool = False) -> None:
    """n more decisions (with their audit rows) and n more timeline events, written in bulk."""
    start = (incident.decisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    now = timezone.now()
    at = [now - dt.timedelta(hours=1) if same_time else now - dt.timedelta(minutes=n - i) for i in range(n)]
    bulk_create_with_history([
        Decision(incident=incident, number=start + i, decision=f"Decision text {start + i}", rationale="r",
                 decided_by=actor, recorded_by=actor, decided_at=at[i], recorded_at=now)
        for i in range(n)
    ], Decision, default_user=actor)
    TimelineEvent.objects.bulk_create([
        TimelineEvent(incident=incident, actor=actor, at=now, type="decision.recorded", summary=f"Event {i}")
        for i in range(n)
    ])


def walk(client, url: str) -> list[dict]:
    """Every entry of an API list, following `next` to the end."""
    seen, pages = [], 0
    while url:
        body = client.get(url).json()
        seen += body["results"]
        url, pages = body["next"], pages + 1
        assert pages < 100
    return seen


class TestKeyset:
    def test_cursor_round_trips_and_refuses_what_is_not_ours(self):
        at = timezone.now()
        assert decode(encode([at, 7]), ["time", "int"]) == [at, 7]
        assert decode(encode(["Siobhán Ó Néill", 3]), ["text", "int"]) == ["Siobhán Ó Néill", 3]
        for bad in ("x", "%%%", encode([1]), "1~-2", "1~2~3", "1.5~2", "1~2\n", "e30", "1" * 17 + "~1"):
            with pytest.raises(InvalidInput) as refused:
                Keyset("-decided_at", "-number").page(Decision.objects.all(), bad)
            assert refused.value.errors == {"cursor": ["This is not a position in this list. Start again from its first page."]}

    def test_any_cursor_of_the_lists_shape_is_a_position_in_it(self, cast, incident):
        """What the schema states as a cursor's pattern is what is read: a key no row has still says where
        a page starts (after every row it sorts after), as far back or ahead as it may be."""
        grow(incident, cast.alice, 3)
        for cursor in ("0~0", "-9999999999999999~1", "9999999999999999~999999999999999999"):
            Keyset("-decided_at", "-number").page(Decision.objects.all(), cursor)
        names = Keyset("full_name", "id")
        for cursor in ("~1", "AA~1", "_-_-~1", "8J-YgA~2"):  # nothing, a null byte, bytes that are no UTF-8
            names.page(User.objects.all(), cursor)

    def test_ties_on_the_first_column_are_broken_by_the_second(self, cast, incident):
        grow(incident, cast.alice, 7, same_time=True)  # every decision at the same moment
        keyset, seen, cursor = Keyset("-decided_at", "-number"), [], None
        while True:
            page = keyset.page(incident.decisions.all(), cursor, size=3)
            seen += [d.number for d in page]
            if not page.next:
                break
            cursor = page.next
        assert seen == [7, 6, 5, 4, 3, 2, 1]


class TestWorkspacePanels:
    def test_each_panel_shows_one_page_newest_first_with_older_ones_a_link_away(self, cast, incident, client):
        grow(incident, cast.alice, DECISIONS.size + 20)
        client.force_login(cast.bob)
        body = client.get(f"/incidents/{incident.pk}/").content.decode()
        shown = [int(n) for n in re.findall(r'id="decision-(\d+)"', body)]
        assert shown == list(range(DECISIONS.size + 20, 20, -1))
        older = re.search(r'rel="next" href="([^"]*\?decisions=[^"#]+)#decisions"', body).group(1)
        second = client.get(older.replace("&amp;", "&"))
        assert second.status_code == 200
        rest = [int(n) for n in re.findall(r'id="decision-(\d+)"', second.content.decode())]
        assert rest == list(range(20, 0, -1))
        assert "Show older decisions" not in second.content.decode()
        assert "Back to the newest decisions" in second.content.decode()
        for panel, label in (("timeline", "Show older events"), ("history", "Show older changes")):
            assert label in body, panel

    def test_a_panel_refreshed_live_keeps_the_page_it_shows(self, cast, incident, client):
        grow(incident, cast.alice, DECISIONS.size + 5)
        client.force_login(cast.bob)
        first = client.get(f"/incidents/{incident.pk}/panels/decisions/").content.decode()
        cursor = re.search(r"\?decisions=([^\"#&]+)", first).group(1)
        panel = client.get(f"/incidents/{incident.pk}/panels/decisions/?decisions={cursor}").content.decode()
        assert f'hx-get="/incidents/{incident.pk}/panels/decisions/?decisions={cursor}"' in panel
        assert re.findall(r'id="decision-(\d+)"', panel) == [str(n) for n in range(5, 0, -1)]

    @pytest.mark.parametrize("param", ["decisions", "timeline", "history", "members"])
    def test_a_position_that_is_not_ours_is_a_clear_400(self, cast, incident, client, param):
        client.force_login(cast.bob)
        response = client.get(f"/incidents/{incident.pk}/?{param}=not-a-cursor")
        assert response.status_code == 400
        assert "This is not a position in this list" in response.content.decode()
        panel = client.get(f"/incidents/{incident.pk}/panels/{param}/?{param}=bm90LWpzb24")
        assert panel.status_code == 400

    def test_an_outsider_still_finds_nothing(self, cast, restricted, client):
        client.force_login(cast.charlie)
        for url in (f"/incidents/{restricted.pk}/?decisions=xyz", f"/incidents/{restricted.pk}/decisions/choices/"):
            assert client.get(url).status_code == 404

    def test_page_cost_does_not_grow_with_the_incident(self, cast, client):
        """Queries, rows and bytes of the workspace and each panel: the same for 10 decisions as for 300."""
        small, large = open_incident(cast), open_incident(cast, title="A long incident")
        grow(small, cast.alice, 10)
        grow(large, cast.alice, 300)
        client.force_login(cast.tom)

        def cost(incident, path):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/incidents/{incident.pk}/{path}")
            assert response.status_code == 200
            return len(queries), len(response.content)

        for path in ("", "panels/decisions/", "panels/timeline/", "panels/history/", "panels/members/",
                     "comms/"):
            cost(small, path)  # the person's memberships are read once per incident, then kept
            cost(large, path)
            (q_small, b_small), (q_large, b_large) = cost(small, path), cost(large, path)
            # at most: a page of the oldest entries may name sources (members) the newest do not
            assert q_large <= q_small, (path, q_small, q_large)
            assert b_large <= 3 * b_small, (path, b_small, b_large)


class TestDecisionForm:
    def test_corrects_is_found_by_number_or_words(self, cast, incident, client):
        grow(incident, cast.alice, 30)
        client.force_login(cast.bob)
        url = f"/incidents/{incident.pk}/decisions/choices/"
        by_number = client.get(url, {"corrects": "17"}).content.decode()
        assert '<option value="17">Decision 17: Decision text 17</option>' in by_number
        by_words = client.get(url, {"corrects": "text 2"}).content.decode()
        assert re.findall(r'value="(\d+)"', by_words)[:3] == ["29", "28", "27"]
        assert len(re.findall("<option", client.get(url, {"corrects": ""}).content.decode())) == 20
        assert client.get(url, {"corrects": "9" * 30}).status_code == 200  # too long to be a number: words

    def test_only_those_who_record_decisions_search_them(self, cast, incident, client):
        client.force_login(cast.olive)  # an observer
        assert client.get(f"/incidents/{incident.pk}/decisions/choices/").status_code == 403

    def test_the_form_names_an_entry_by_its_number(self, cast, incident, client):
        grow(incident, cast.alice, 3)
        client.force_login(cast.bob)
        url = f"/incidents/{incident.pk}/decisions/new/"
        response = client.post(url, {"decision": "Fix", "rationale": "r", "corrects": "99"})
        assert response.status_code == 400 and "There is no decision 99 in this incident" in response.content.decode()
        response = client.post(url, {"decision": "Fix", "rationale": "r", "corrects": "two"})
        assert "Give the number of the decision this entry corrects" in response.content.decode()
        assert incident.decisions.count() == 3
        assert client.post(url, {"decision": "Fix", "rationale": "r", "corrects": "2"}).status_code == 302
        assert incident.decisions.get(number=4).corrects.number == 2

    def test_the_people_picker_searches_staff_who_could_be_added(self, cast, incident, client):
        url = f"/incidents/{incident.pk}/people/choices/"
        client.force_login(cast.alice)
        assert '<option value="sam — Sam Senior">' in client.get(url, {"user": "sam"}).content.decode()
        assert "olive" not in client.get(url, {"user": "obs"}).content.decode()  # already a member
        assert client.get(url, {"user": "o"}).content.decode().strip() == ""
        page = client.get(f"/incidents/{incident.pk}/").content.decode()
        assert "<option" not in re.search(r'<datalist id="staff-list">(.*?)</datalist>', page, re.S).group(1)
        client.force_login(cast.bob)  # a member who may not add members
        assert client.get(url, {"user": "sam"}).status_code == 403
        client.force_login(cast.charlie)
        assert client.get(url, {"user": "sam"}).status_code == 404

    def test_a_member_is_added_by_their_full_name_without_javascript(self, cast, incident, client):
        client.force_login(cast.alice)
        response = client.post(f"/incidents/{incident.pk}/members/add/",
                               {"user": "sam senior", "role": "observer", "reason": "Briefing the board"})
        assert response.status_code == 302
        assert incident.memberships.active().filter(user=cast.sam).exists()


class TestApiLists:
    def test_walking_every_page_shows_each_entry_once(self, cast, incident, api):
        grow(incident, cast.alice, 23)
        client = api(cast.bob)
        base = f"/api/incidents/{incident.pk}"
        decisions = walk(client, f"{base}/decisions/?page_size=5")
        assert [d["number"] for d in decisions] == list(range(23, 0, -1))
        events = walk(client, f"{base}/timeline/?page_size=7")
        assert [e["id"] for e in events] == sorted({e["id"] for e in events}, reverse=True)
        assert len(events) == incident.timeline.count()
        caught_up = walk(client, f"{base}/timeline/?after={events[5]['id']}&page_size=2")
        assert [e["id"] for e in caught_up] == sorted(e["id"] for e in events[:5])
        members = walk(client, f"{base}/members/?page_size=2")
        assert [m["user"] for m in members] == ["alice", "tom", "bob", "olive", "cora"]

    def test_history_pages_merge_every_source_in_order(self, cast, incident, api):
        for n in range(4):
            services.decision_record(actor=cast.bob, incident_id=incident.pk, decision=f"D{n}", rationale="r")
            services.incident_update(actor=cast.alice, incident_id=incident.pk, changes={"title": f"Title {n}"})
        message = comms.message_draft(actor=cast.cora, incident_id=incident.pk, audience="all_staff",
                                      subject="Briefing", body="What happened.")
        client = api(cast.bob)
        everything = client.get(f"/api/incidents/{incident.pk}/history/?page_size=200").json()["results"]
        walked = walk(client, f"/api/incidents/{incident.pk}/history/?page_size=3")
        assert walked == everything
        assert [h["at"] for h in walked] == sorted((h["at"] for h in walked), reverse=True)
        assert {h["model"] for h in walked} >= {"Incident", "Membership", "Decision", "Message"}
        # each change is still diffed against the record before it, even across pages
        titles = [h for h in walked if h["model"] == "Incident" and h["action"] == "changed"]
        assert [(c["changes"][0]["old"], c["changes"][0]["new"]) for c in titles][:2] == [
            ("Title 2", "Title 3"), ("Title 1", "Title 2")]
        assert message.pk

    def test_bad_paging_input_is_a_400_with_field_messages(self, cast, incident, api):
        client = api(cast.bob)
        for path in ("decisions", "timeline", "history", "members"):
            url = f"/api/incidents/{incident.pk}/{path}/"
            assert client.get(url, {"cursor": "nope"}).json() == {
                "cursor": ["This is not a position in this list. Start again from its first page."]}
            for size in ("0", "201", "x", "-1"):
                response = client.get(url, {"page_size": size})
                assert response.status_code == 400
                assert response.json() == {"page_size": ["Give a whole number from 1 to 200."]}
        assert client.get("/api/incidents/", {"cursor": "nope"}).status_code == 400
        assert client.get("/api/inbox/", {"cursor": "nope"}).status_code == 400

    def test_crafted_positions_and_sizes_are_400s_not_500s(self, cast, incident, api, client):
        import base64
        import json

        def token(raw: str) -> str:
            return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

        crafted = [token("[" * 3000), token(json.dumps(["0001-01-01T00:00:00+05:00", 1])),
                   token(json.dumps(["9999-12-31T23:59:59-05:00", 1])), "A" * 5000,
                   token(json.dumps(["0001-01-01T00:00:00+05:00", 0, 1]))]
        api_client = api(cast.bob)
        client.force_login(cast.bob)
        for bad in crafted:
            for path in ("decisions", "history", "timeline"):
                assert api_client.get(f"/api/incidents/{incident.pk}/{path}/", {"cursor": bad}).status_code == 400
                assert client.get(f"/incidents/{incident.pk}/", {path: bad}).status_code == 400
        for size in ("²", "9" * 5001, "1.5", " 5"):
            assert api_client.get(f"/api/incidents/{incident.pk}/decisions/", {"page_size": size}).status_code == 400
        assert client.get(f"/incidents/{incident.pk}/decisions/choices/", {"corrects": "²"}).status_code == 200

    def test_a_message_changed_while_someone_reads_keeps_its_place(self, cast, incident, api):
        drafted = [comms.message_draft(actor=cast.cora, incident_id=incident.pk, audience="all_staff",
                                       subject=f"Briefing {n}", body="What happened.") for n in range(5)]
        client = api(cast.cora)
        first = client.get(f"/api/incidents/{incident.pk}/messages/?page_size=2").json()
        comms.message_edit(actor=cast.cora, message_id=drafted[0].pk, changes={"body": "Corrected."})
        seen = [m["id"] for m in first["results"]] + [m["id"] for m in walk(client, first["next"])]
        assert sorted(seen) == sorted(m.pk for m in drafted)

    def test_api_cost_does_not_grow_with_the_incident(self, cast, api):
        small, large = open_incident(cast), open_incident(cast, title="A long incident")
        grow(small, cast.alice, 10)
        grow(large, cast.alice, 300)
        client = api(cast.tom)
        for path in ("decisions/", "timeline/", "history/", "members/", "messages/"):
            costs = []
            for incident in (small, large):  # warm: the person's memberships are read once, then kept
                client.get(f"/api/incidents/{incident.pk}/{path}")
            for incident in (small, large):
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(f"/api/incidents/{incident.pk}/{path}")
                assert response.status_code == 200
                costs.append((len(queries), len(response.content), len(response.json()["results"])))
            (q_small, b_small, n_small), (q_large, b_large, n_large) = costs
            assert q_large <= q_small and n_large <= PAGE_SIZE and b_large <= 3 * max(b_small, 2000), (path, costs)


class TestPersonLists:
    def test_incident_list_pages_and_keeps_its_filters(self, cast, client):
        for n in range(PAGE_SIZE + 3):
            open_incident(cast, title=f"Incident {n}", members=False)
        client.force_login(cast.alice)
        body = client.get("/incidents/?status=open").content.decode()
        assert body.count('class="govuk-table__row"') == PAGE_SIZE + 1  # the header row and a page
        older = re.search(r'rel="next" href="([^"]+)"', body).group(1).replace("&amp;", "&")
        assert older.startswith("/incidents/?status=open&incidents=")
        rest = client.get(older).content.decode()
        assert rest.count('class="govuk-table__row"') == 3 + 1
        assert client.get("/incidents/?incidents=rubbish").status_code == 400

    def test_inbox_pages(self, cast, incident, client):
        now = timezone.now()
        for n in range(PAGE_SIZE + 2):
            message = comms.message_draft(actor=cast.cora, incident_id=incident.pk, audience="all_staff",
                                          subject=f"Briefing {n}", body="What happened.")
            InboxItem.objects.create(message=Message.objects.get(pk=message.pk), recipient=cast.bob,
                                     delivered_at=now - dt.timedelta(minutes=PAGE_SIZE + 2 - n))
        client.force_login(cast.bob)
        body = client.get("/inbox/").content.decode()
        assert re.findall(r">Briefing (\d+)</a>", body)[:2] == [str(PAGE_SIZE + 1), str(PAGE_SIZE)]
        assert len(re.findall(r">Briefing (\d+)</a>", body)) == PAGE_SIZE
        older = re.search(r'rel="next" href="([^"]+)"', body).group(1)
        assert re.findall(r">Briefing (\d+)</a>", client.get(older).content.decode()) == ["1", "0"]
        assert client.get("/inbox/?inbox=rubbish").status_code == 400
        api_page = client.get("/api/inbox/?page_size=10").json()
        assert len(api_page["results"]) == 10 and api_page["next"]
