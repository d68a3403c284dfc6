"""Errors people can read (issue 11, point 4): Harbour's own 400, 403, 404 and 500 pages, in its layout, in
plain words, with a way back and nothing of a debug page; JSON under /api/; the CSRF failure page; and
links in emails pointing at the address `manage.py serve` was started on unless HARBOUR_BASE_URL says.

This module is also the URL configuration of the tests marked `urls` below: Harbour's own, plus views
that fail on purpose.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import Client
from django.urls import include, path

from clocks.models import Obligation
from comms import releases as comms_releases
from comms import services as comms_services
from core.management.commands.serve import served_base_url, use_served_base_url
from core.models import Email
from core.views import SERVER_ERROR

SECRET_DETAIL = "the-secret-detail-of-what-broke"
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - what `serve --host` was given, not a bind
INCIDENTS = "/incidents/"  # reverse("incident-list"); "/" shows the same list


def _boom(request):
    raise RuntimeError(SECRET_DETAIL)


def _database_gone(request):
    raise OperationalError(f"could not connect to server: {SECRET_DETAIL}")


def _refuse(request):
    raise PermissionDenied("Only the incident's lead can close it.")


def _form(request):
    return HttpResponse("accepted")


urlpatterns = [
    path("boom/", _boom),
    path("database-gone/", _database_gone),
    path("refuse/", _refuse),
    path("api/boom/", _boom),
    path("api/refuse/", _refuse),
    path("api/form/", _form),
    path("", include("config.urls")),
]
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"

# What a debug page, a stack trace or Django's own error pages would show. None of it ever reaches a person.
DEBUG_MARKERS = ("Traceback", "Exception Value", "Request Method", "URLconf", "DEBUG = True", "settings.py",
                 "RuntimeError", "OperationalError", SECRET_DETAIL, "Django", "CSRF verification failed")


def assert_harbour_page(response, status: int) -> str:
    """The page is Harbour's: its header with the way home, its stylesheets, its footer, no debug content."""
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert '<span class="harbour-wordmark">Harbour</span>' in page
    assert 'class="govuk-header__link govuk-header__link--homepage"' in page
    assert "/static/vendor/govuk-frontend/govuk-frontend.min.css" in page
    assert 'id="main-content"' in page and 'class="govuk-footer"' in page
    assert page.count('<h1 class="govuk-heading-l">') == 1
    for marker in DEBUG_MARKERS:
        assert marker not in page, marker
    return page


def link(page: str, href: str, text: str) -> bool:
    return re.search(rf'<a class="govuk-link" href="{re.escape(href)}">{re.escape(text)}</a>', page) is not None


@pytest.fixture(autouse=True)
def _no_debugging(settings):
    settings.DEBUG = False  # as Harbour runs by default (pytest-django does this too: said here on purpose)


@pytest.fixture
def failing_client():
    """A browser's view of a failure: the response Harbour sends, not the exception the test client raises."""
    return Client(raise_request_exception=False)


pytestmark = pytest.mark.django_db


class TestNotFound:
    def test_a_missing_page_says_so_and_offers_sign_in(self, client):
        page = assert_harbour_page(client.get("/no-such-page/"), 404)
        assert "Page not found" in page and "check it is correct" in page
        assert link(page, "/login/", "Sign in")

    def test_a_signed_in_person_is_offered_the_incidents(self, cast, client):
        client.force_login(cast.bob)
        page = assert_harbour_page(client.get("/incidents/987654321/"), 404)
        assert link(page, INCIDENTS, "Back to incidents")
        assert not link(page, "/login/", "Sign in")

    def test_the_api_answers_in_json(self, client):
        response = client.get("/api/no-such-thing/")
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}


class TestNotAllowed:
    def test_the_refusal_is_in_words_with_the_way_back(self, cast, client, incident):
        client.force_login(cast.bob)
        panel = Obligation.objects.get(incident=incident, code="panel_notification")
        page = assert_harbour_page(client.post(f"/obligations/{panel.pk}/done/", {"reference": "x"}), 403)
        assert "You cannot do that here" in page and "ask the incident's lead" in page
        assert link(page, INCIDENTS, "Back to incidents")

    @pytest.mark.urls("tests.test_errors")
    def test_someone_not_signed_in_is_offered_sign_in(self, client):
        page = assert_harbour_page(client.get("/refuse/"), 403)
        assert "Only the incident&#x27;s lead can close it." in page
        assert link(page, "/login/", "Sign in") and not link(page, INCIDENTS, "Back to incidents")

    @pytest.mark.urls("tests.test_errors")
    def test_the_api_answers_in_json(self, cast, client, api, incident):
        response = client.get("/api/refuse/")
        assert response.status_code == 403 and response.json() == {"detail": "Only the incident's lead can close it."}
        # DRF's own refusals were JSON already, and stay so
        response = api(cast.bob).patch(f"/api/incidents/{incident.pk}/", {"title": "x"}, format="json")
        assert response.status_code == 403 and "detail" in response.json()


@pytest.mark.urls("tests.test_errors")
class TestServerError:
    def test_a_failing_page_is_harbours_apology_with_the_way_home(self, failing_client, caplog):
        page = assert_harbour_page(failing_client.get("/boom/"), 500)
        assert "Sorry, something went wrong" in page and "never half-saves" in page
        assert link(page, "/", "Go to Harbour's home page")
        # the people who run Harbour still learn what broke: in the log, never on the page
        assert SECRET_DETAIL in caplog.text

    def test_a_signed_in_person_gets_the_same_page(self, cast, failing_client):
        failing_client.force_login(cast.alice)
        page = assert_harbour_page(failing_client.get("/database-gone/"), 500)
        assert "Sorry, something went wrong" in page and "Alice" not in page

    def test_the_page_needs_nothing_that_could_fail_in_turn(self, django_assert_num_queries):
        """Rendered with no request and no context, as Django renders it: no database, no URL reversing."""
        with django_assert_num_queries(0):
            page = render_to_string("500.html")
        assert "{%" not in page and "{{" not in page
        assert "<script" not in page  # nothing to run; and nothing inline for the Content Security Policy

    def test_the_api_answers_in_json(self, failing_client):
        response = failing_client.get("/api/boom/")
        assert response.status_code == 500 and response.json() == {"detail": SERVER_ERROR}
        assert SECRET_DETAIL not in response.content.decode()


class TestBadRequest:
    def test_a_host_harbour_does_not_answer_to(self, client):
        page = assert_harbour_page(client.get("/", HTTP_HOST="elsewhere.example"), 400)
        assert "This request cannot be read" in page and link(page, "/login/", "Sign in")
        assert "elsewhere.example" not in page

    def test_the_api_answers_in_json(self, client):
        response = client.get("/api/incidents/", HTTP_HOST="elsewhere.example")
        assert response.status_code == 400 and response.json() == {"detail": "The request could not be understood."}


class TestFormExpired:
    """CSRF_FAILURE_VIEW: a form whose token no longer matches (open too long, or signed in elsewhere)."""

    def test_sign_in_form_sent_without_its_token(self):
        client = Client(enforce_csrf_checks=True)
        page = assert_harbour_page(client.post("/login/", {"username": "bob", "password": "x"}), 403)
        assert "Your form could not be sent" in page and "Nothing you entered has been saved" in page
        assert "Go back, reload the page and try again." in page
        assert link(page, "/login/", "Sign in")

    def test_back_to_the_page_it_came_from_when_that_is_harbours(self, cast):
        client = Client(enforce_csrf_checks=True)
        client.force_login(cast.bob)
        page = assert_harbour_page(client.post("/logout/", HTTP_REFERER="http://testserver/inbox/"), 403)
        assert link(page, "http://testserver/inbox/", "Go back to the page you were on")
        assert link(page, INCIDENTS, "Back to incidents")
        page = assert_harbour_page(client.post("/logout/", HTTP_REFERER="https://phish.example/inbox/"), 403)
        assert "phish.example" not in page and "Go back to the page you were on" not in page

    @pytest.mark.urls("tests.test_errors")
    def test_the_api_answers_in_json(self):
        response = Client(enforce_csrf_checks=True).post("/api/form/")
        assert response.status_code == 403 and "CSRF" in response.json()["detail"]


class TestLinksInEmails:
    @pytest.mark.parametrize(("host", "port", "allowed", "expected"), [
        ("127.0.0.1", 8000, ["127.0.0.1", "localhost", "[::1]"], "http://127.0.0.1:8000"),
        ("localhost", 8765, ["127.0.0.1", "localhost", "[::1]"], "http://localhost:8765"),
        ("::1", 8000, ["127.0.0.1"], "http://[::1]:8000"),
        ("harbour.council.local", 80, ["harbour.council.local"], "http://harbour.council.local"),
        # a wildcard is no address to browse to: the first name Harbour answers to stands in
        (EVERY_INTERFACE, 8000, ["127.0.0.1", "localhost", "[::1]"], "http://127.0.0.1:8000"),
        (EVERY_INTERFACE, 8000, [".council.local", "harbour.council.local"], "http://harbour.council.local:8000"),
        ("::", 8080, ["*"], "http://127.0.0.1:8080"),
    ])
    def test_the_address_serve_was_started_on(self, host, port, allowed, expected):
        assert served_base_url(host, port, allowed) == expected

    def test_serve_keeps_an_address_it_was_given(self, settings):
        settings.HARBOUR_BASE_URL_SET, settings.HARBOUR_BASE_URL = True, "https://harbour.council.example"
        assert use_served_base_url("127.0.0.1", 8765) == "https://harbour.council.example"
        settings.HARBOUR_BASE_URL_SET = False
        assert use_served_base_url("127.0.0.1", 8765) == "http://127.0.0.1:8765"

    def test_an_email_link_uses_the_address_serve_was_started_on(self, cast, incident, settings):
        settings.HARBOUR_BASE_URL_SET, settings.HARBOUR_BASE_URL = False, "http://127.0.0.1:8000"
        use_served_base_url("localhost", 8765)
        message = comms_services.message_draft(
            actor=cast.alice, incident_id=incident.pk, audience="people", recipients=["bob"],
            subject="What we know", body="A briefing.")
        comms_services.message_submit(actor=cast.alice, message_id=message.pk)
        comms_services.message_approve(actor=cast.cora, message_id=message.pk, version=1)
        comms_releases.message_release(actor=cast.cora, message_id=message.pk)
        email = Email.objects.get(kind="comms.delivery", about_id=message.pk, to=cast.bob.email)
        assert f"http://localhost:8765/inbox/{message.pk}/" in email.body
