"""Search (issue 11, point 8): `/search/` and `GET /api/search/?q=` find incidents, decisions and messages by
words and by reference, among what the person may see. What they may not see is never found, not even as a
count: the answer to a query that matches only a restricted incident is, byte for byte, the answer to one
that matches nothing at all.

On the embedded SQLite every word must appear; on PostgreSQL the words go through full-text search (English
stemming, websearch syntax, ranking), tested at the end when the test database is PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comms import services as comms
from incidents import services
from incidents.models import Decision
from incidents.search import SEARCH_LIMIT, excerpt, reference_match, search
from tests.factories import open_incident

pytestmark = pytest.mark.django_db

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
EMPTY = "Enter words or a reference to search for."


def found(person, query: str) -> list[tuple[str, str]]:
    return [(hit.kind, hit.title) for hit in search(person, query).hits]


def page(client, person, query: str):
    client.force_login(person)
    return client.get("/search/", {"q": query})


@pytest.fixture
def riverside(cast, incident):
    """The unrestricted incident with a decision and a briefing about closing the Riverside office."""
    decision = services.decision_record(actor=cast.bob, incident_id=incident.pk,
                                        decision="Close the Riverside office for a week",
                                        rationale="Staff need time together, away from the building.")
    message = comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                  recipients=["bob"], subject="Briefing on the office closure",
                                  body="The Riverside office reopens on Monday. Managers will call each of you.")
    return {"incident": incident, "decision": decision, "message": message}


@pytest.fixture
def marlowe(cast):
    """A restricted incident whose every record carries a word no other record has: Marlowe."""
    hidden = open_incident(cast, restricted=True, title="Fire at the Marlowe hostel")
    services.decision_record(actor=cast.bob, incident_id=hidden.pk, decision="Move the Marlowe residents",
                             rationale="The hostel is unsafe.")
    comms.message_draft(actor=cast.alice, incident_id=hidden.pk, audience="people", recipients=["bob"],
                        subject="Marlowe update", body="Residents of the Marlowe hostel are safe.")
    return hidden


class TestFinding:
    def test_an_incident_is_found_by_its_reference_whole_or_by_its_number(self, cast, incident):
        year, number = incident.reference.split("-")[1:]
        for query in (incident.reference, incident.reference.lower(), f"{year}-{number}", number,
                      str(int(number)), f" {incident.reference} "):
            assert found(cast.bob, query)[:1] == [("incident", incident.title)], query

    def test_a_reference_comes_first_and_another_number_finds_nothing(self, cast, incident):
        other = open_incident(cast, title="Another matter", members=False, restricted=True)
        assert search(cast.bob, other.reference).hits == []  # Bob is not in it
        assert found(cast.alice, other.reference) == [("incident", "Another matter")]
        assert found(cast.alice, "INC-1999-0001") == []
        assert reference_match("flood") is None

    def test_an_incident_is_found_by_words_in_its_title_and_summary(self, cast, incident):
        assert ("incident", incident.title) in found(cast.bob, "death child")  # the title
        assert ("incident", incident.title) in found(cast.bob, "north team")  # the summary, any case
        assert ("incident", incident.title) in found(cast.bob, "child NORTH")  # one from each
        assert found(cast.bob, "child Marlowe") == []  # every word must match

    def test_a_decision_is_found_by_words_in_its_text(self, cast, riverside):
        hits = search(cast.bob, "riverside week").hits
        assert [(h.kind, h.title) for h in hits] == [("decision", "Decision 1: Close the Riverside office for a week")]
        hit = hits[0]
        assert hit.incident == riverside["incident"]
        assert hit.url == f"/incidents/{riverside['incident'].pk}/#decisions"
        assert "Riverside" in hit.snippet and hit.label == "Decision"
        assert found(cast.bob, "away from the building") == [("decision", "Decision 1: Close the Riverside office for a week")]

    def test_a_message_is_found_by_words_in_its_subject_or_body(self, cast, riverside):
        message = riverside["message"]
        assert found(cast.bob, "briefing closure") == [("message", "Briefing on the office closure")]
        hits = search(cast.bob, "managers call").hits
        assert [(h.kind, h.url) for h in hits] == [("message", f"/messages/{message.pk}/")]
        assert hits[0].snippet.startswith("The Riverside office reopens") and hits[0].label == "Message"

    def test_every_kind_at_once_the_newest_first(self, cast, riverside):
        assert sorted(hit.kind for hit in search(cast.bob, "riverside").hits) == ["decision", "message"]
        open_incident(cast, title="Riverside office flood")
        hits = search(cast.bob, "riverside").hits
        assert sorted(hit.kind for hit in hits) == ["decision", "incident", "message"]
        if connection.vendor != "postgresql":  # there, the best match first (TestFullTextOnPostgreSQL)
            assert [h.when for h in hits] == sorted((h.when for h in hits), reverse=True)

    def test_a_search_gives_at_most_its_limit_and_says_there_is_more(self, cast, riverside):
        for n in range(4):
            services.decision_record(actor=cast.bob, incident_id=riverside["incident"].pk,
                                     decision=f"Riverside step {n}", rationale="r")
        result = search(cast.bob, "riverside", limit=3)
        assert len(result.hits) == 3 and result.more
        result = search(cast.bob, "riverside", limit=6)
        assert len(result.hits) == 6 and not result.more

    def test_a_snippet_is_an_excerpt_around_the_words(self):
        text = " ".join(f"word{n}" for n in range(100)) + " the Marlowe hostel " + " ".join(f"more{n}" for n in range(100))
        snippet = excerpt(text, "marlowe")
        assert snippet.startswith("…") and snippet.endswith("…") and "Marlowe hostel" in snippet
        assert len(snippet) <= 210
        assert excerpt("Short  text\nhere.", "absent") == "Short text here."
        assert excerpt("", "anything") == ""
        # PostgreSQL's headline marks what matched in any form ("flooded" for "flooding"): cut round the first.
        marked = " ".join(f"word{n}" for n in range(100)) + " the ground \x01flooded\x02 overnight"
        assert excerpt("ignored", "flooding", headline=marked).endswith("the ground flooded overnight")
        assert excerpt("ignored", "flooding", headline=marked).startswith("…")


class TestWhatYouMayNotSee:
    def test_outsiders_find_nothing_of_a_restricted_incident(self, cast, marlowe):
        for person in (cast.sam, cast.charlie):
            assert search(person, "Marlowe").hits == []
            assert search(person, marlowe.reference).hits == []
            assert search(person, "hostel").hits == []

    def test_its_members_find_all_of_it(self, cast, marlowe):
        assert sorted(found(cast.bob, "Marlowe")) == [
            ("decision", "Decision 1: Move the Marlowe residents"),
            ("incident", "Fire at the Marlowe hostel"),
            ("message", "Marlowe update"),
        ]
        assert found(cast.olive, marlowe.reference)[:1] == [("incident", "Fire at the Marlowe hostel")]

    def test_a_senior_leader_outside_finds_unrestricted_incidents_and_charlie_nothing(self, cast, riverside):
        assert ("decision", "Decision 1: Close the Riverside office for a week") in found(cast.sam, "riverside")
        assert found(cast.charlie, "riverside") == []
        assert found(cast.charlie, riverside["incident"].reference) == []

    @pytest.mark.parametrize("person", ["sam", "charlie"])
    def test_the_page_for_hidden_words_is_the_page_for_absent_ones(self, cast, marlowe, client, person):
        outsider = getattr(cast, person)
        for hidden, absent in (("Marlowe", "Qzxwvbk"), (marlowe.reference, "INC-1999-0999"),
                               ("hostel Marlowe", "absent Qzxwvbk")):
            answers = []
            for query in (hidden, absent):
                response = page(client, outsider, query)
                # Only where the page repeats what was typed (in the box, the title and the answer): the
                # hidden words anywhere else would be a leak, and a difference here.
                body = CSRF.sub(b"", response.content)
                for where in ('value="{}"', "‘{}’"):
                    body = body.replace(where.format(query).encode(), where.format("QUERY").encode())
                answers.append((response.status_code, body))
            assert answers[0] == answers[1], hidden
            assert answers[0][0] == 200 and "Nothing you can see matches ‘QUERY’.".encode() in answers[0][1]

    @pytest.mark.parametrize("person", ["sam", "charlie"])
    def test_the_api_for_hidden_words_is_the_api_for_absent_ones(self, cast, marlowe, api, person):
        client = api(getattr(cast, person))
        for hidden, absent in (("Marlowe", "Qzxwvbk"), (marlowe.reference, "INC-1999-0999")):
            answers = []
            for query in (hidden, absent):
                response = client.get("/api/search/", {"q": query})
                answers.append((response.status_code, response.content.replace(query.encode(), b"QUERY")))
            assert answers[0] == answers[1] == (200, b'{"query":"QUERY","results":[]}'), hidden

    def test_a_member_sees_it_on_the_page(self, cast, marlowe, client):
        response = page(client, cast.bob, "Marlowe")
        assert response.status_code == 200
        assert response.content.decode().count('class="harbour-search__hit"') == 3
        assert "3 results for ‘Marlowe’." in response.content.decode()


class TestThePage:
    def test_it_lists_each_hit_with_its_kind_title_reference_date_and_snippet(self, cast, riverside, client):
        response = page(client, cast.bob, "riverside")
        html = response.content.decode()
        decision = riverside["decision"]
        assert response.status_code == 200
        assert "Search incidents, decisions and messages" in html and 'name="q"' in html
        assert "2 results for ‘riverside’." in html
        assert f'href="/incidents/{riverside["incident"].pk}/#decisions">Decision 1: Close the Riverside office' in html
        assert f'href="/messages/{riverside["message"].pk}/">Briefing on the office closure</a>' in html
        assert riverside["incident"].reference in html
        assert timezone.localtime(decision.decided_at).strftime("%-d %b %Y, %H:%M") in html
        assert "The Riverside office reopens on Monday." in html
        assert "<table" not in html

    def test_nothing_found_says_so_calmly(self, cast, incident, client):
        response = page(client, cast.bob, "Qzxwvbk")
        assert response.status_code == 200
        assert "Nothing you can see matches ‘Qzxwvbk’." in response.content.decode()

    def test_what_was_typed_is_escaped(self, cast, incident, client):
        comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people", recipients=["bob"],
                            subject="<b>Bold</b> plan", body="Say <script>alert(1)</script> nothing.")
        html = page(client, cast.bob, "bold plan").content.decode()
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert ">&lt;b&gt;Bold&lt;/b&gt; plan</a>" in html and "<b>Bold" not in html
        html = page(client, cast.bob, "<b>Bold</b> & <i>").content.decode()
        assert "‘&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;i&gt;’" in html and "<b>Bold" not in html

    def test_an_empty_query_shows_the_form_and_a_hint(self, cast, client):
        client.force_login(cast.bob)
        for params in ({}, {"q": ""}, {"q": "   "}):
            response = client.get("/search/", params)
            html = response.content.decode()
            assert response.status_code == 200, params
            assert "govuk-error-summary" not in html and "Nothing you can see" not in html
            assert "Search incidents, decisions and messages" in html
            assert ('data-testid="search-hint"' in html) == ("q" in params)

    def test_a_query_too_long_is_an_error_summary(self, cast, client):
        response = page(client, cast.bob, "x" * 201)
        html = response.content.decode()
        assert response.status_code == 400
        assert "govuk-error-summary" in html and 'href="#id_q"' in html
        assert "Search for 200 characters or fewer" in html and "<title>Error: Search" in html
        assert page(client, cast.bob, "x" * 200).status_code == 200

    def test_unknown_parameters_do_not_matter(self, cast, riverside, client):
        client.force_login(cast.bob)
        response = client.get("/search/", {"q": "riverside", "page": "x", "kind": "nonsense"})
        assert response.status_code == 200 and "2 results" in response.content.decode()

    def test_it_is_for_signed_in_staff(self, client):
        response = client.get("/search/", {"q": "anything"})
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert client.post("/search/").status_code in (302, 405)

    @pytest.mark.parametrize("many", [False, True])
    def test_it_costs_the_same_however_many_it_finds(self, cast, riverside, client, many,
                                                     django_assert_max_num_queries):
        incident = riverside["incident"]
        if many:
            for n in range(15):
                services.decision_record(actor=cast.bob, incident_id=incident.pk, decision=f"Riverside {n}",
                                         rationale="r")
                comms.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                    recipients=["bob"], subject=f"Riverside note {n}", body="b")
                open_incident(cast, title=f"Riverside flood {n}", members=False)
        client.force_login(cast.alice)
        # Three queries search (one per kind, with its incident joined); the rest are the session, the
        # person and the header, as on every page.
        client.get("/search/", {"q": "nothing"})
        with CaptureQueriesContext(connection) as few:
            client.get("/search/", {"q": "Qzxwvbk"})
        with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as read:
            response = client.get("/search/", {"q": "riverside"})
        found_here = response.content.decode().count('class="harbour-search__hit"')
        assert found_here == (47 if many else 2)
        assert len(read) == len(few), [q["sql"] for q in read.captured_queries]


class TestTheApi:
    def test_it_finds_each_kind_with_its_incident(self, cast, riverside, api):
        response = api(cast.bob).get("/api/search/", {"q": "riverside", "ignored": "yes"})
        assert response.status_code == 200
        body = response.json()
        assert body["query"] == "riverside"
        incident = riverside["incident"]
        by_kind = {r["kind"]: r for r in body["results"]}
        assert set(by_kind) == {"decision", "message"}
        decision = by_kind["decision"]
        assert decision["label"] == "Decision"
        assert decision["title"] == "Decision 1: Close the Riverside office for a week"
        assert decision["url"] == f"/incidents/{incident.pk}/#decisions"
        assert decision["incident"] == {"id": incident.pk, "reference": incident.reference, "title": incident.title}
        assert "Riverside" in decision["snippet"]
        assert dt.datetime.fromisoformat(decision["at"]) == riverside["decision"].decided_at
        assert set(decision) == {"kind", "label", "title", "snippet", "url", "incident", "at"}

    def test_by_reference(self, cast, incident, api):
        results = api(cast.sam).get("/api/search/", {"q": incident.reference.lower()}).json()["results"]
        assert results[0]["kind"] == "incident" and results[0]["incident"]["id"] == incident.pk

    @pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
    def test_an_empty_query_is_a_400(self, cast, api, params):
        response = api(cast.bob).get("/api/search/", params)
        assert response.status_code == 400
        assert response.json() == {"q": [EMPTY]}

    def test_a_query_too_long_is_a_400(self, cast, api):
        response = api(cast.bob).get("/api/search/", {"q": "x" * 201})
        assert response.status_code == 400
        assert list(response.json()) == ["q"] and "200 characters" in response.json()["q"][0]
        assert api(cast.bob).get("/api/search/", {"q": "x" * 200}).status_code == 200

    def test_it_gives_at_most_fifty(self, cast, incident, api):
        now = timezone.now()
        Decision.objects.bulk_create(
            Decision(incident=incident, number=n, decision=f"Flood step {n}", rationale="r", decided_by=cast.bob,
                     decided_at=now, recorded_at=now, recorded_by=cast.bob)
            for n in range(1, 61))
        results = api(cast.bob).get("/api/search/", {"q": "flood step"}).json()["results"]
        assert len(results) == SEARCH_LIMIT
        client = api(None)
        client.force_login(cast.bob)
        html = client.get("/search/", {"q": "flood step"}).content.decode()
        assert f"Showing the first {SEARCH_LIMIT} results for ‘flood step’; add words to narrow." in html

    def test_it_is_for_signed_in_staff(self, api):
        assert api(None).get("/api/search/", {"q": "anything"}).status_code in (401, 403)


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="PostgreSQL full-text search: runs when the test database is PostgreSQL")
class TestFullTextOnPostgreSQL:
    def test_word_forms_match_and_the_best_match_comes_first(self, cast, incident):
        flood = open_incident(cast, title="Flood at the Riverside home")
        services.decision_record(actor=cast.alice, incident_id=flood.pk, decision="Move residents upstairs",
                                 rationale="The ground floor flooded overnight.")
        hits = search(cast.alice, "flooding").hits
        assert [h.kind for h in hits] == ["incident", "decision"]  # the title weighs more than a rationale
        assert hits[0].incident == flood
        assert "flooded" in hits[1].snippet and "<" not in hits[1].snippet

    def test_websearch_syntax(self, cast, incident):
        open_incident(cast, title="Flood at the Riverside home")
        open_incident(cast, title="Flood at the Eastgate centre")
        assert [h.title for h in search(cast.alice, "flood -riverside").hits] == ["Flood at the Eastgate centre"]
        assert [h.title for h in search(cast.alice, '"eastgate centre"').hits] == ["Flood at the Eastgate centre"]
        assert search(cast.alice, "the").hits == []  # stop words alone match nothing

    def test_outsiders_find_nothing_here_either(self, cast, marlowe):
        assert search(cast.sam, "Marlowe hostels").hits == []
        assert len(search(cast.bob, "Marlowe hostels").hits) >= 2
