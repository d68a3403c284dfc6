"""API tokens that can be trusted (issue 18, point 5): kept as a digest, named, expiring, made and revoked by
their owner (page and API), ended by a password change or deactivation, and in the admin site revocable but
never readable nor made. Sockets take them too, and let go of them when they end."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from config.asgi import application
from core.actors import AdminSite
from incidents.membership import person_access_changed
from incidents.models import ApiToken, TokenEnd
from incidents.tokens import LIVE_TOKENS_PER_PERSON, api_token_revoke
from people.models import User
from tests.factories import PASSWORD, make_token
from tests.test_sockets import HOST, ORIGIN, connect, session_headers

pytestmark = pytest.mark.django_db
START = dt.datetime(2027, 3, 7, 21, 30, tzinfo=dt.UTC)  # a Sunday evening: nothing here cares


def _with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _works(key: str) -> bool:
    answer = _with(key).get("/api/incidents/")
    assert answer.status_code in (200, 401), answer.status_code
    return answer.status_code == 200


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- made with a password: POST /api/auth/token/ ----------------------------------------------------------

class TestTheTokenEndpoint:
    def test_a_password_makes_a_named_token_that_expires_and_is_kept_only_as_a_digest(self, cast, client, settings):
        with time_machine.travel(START, tick=False):
            answer = client.post("/api/auth/token/", {"username": "alice", "password": PASSWORD, "name": "Reporting",
                                                      "days": 30}, content_type="application/json")
            assert answer.status_code == 200
            body = answer.json()
            key = body["token"]
            assert key.startswith("hbr_") and len(key) > 40
            assert body["name"] == "Reporting" and body["works"] is True
            assert body["expires_at"] == "2027-04-06T22:30:00+01:00"  # 30 days on, in UK time
            assert _works(key)
        stored = ApiToken.objects.get()
        assert key not in str(ApiToken.objects.values().get()) and stored.digest != key

    def test_without_a_name_or_days_it_gets_a_plain_name_and_the_longest_life(self, cast, client, settings):
        with time_machine.travel(START, tick=False):
            body = client.post("/api/auth/token/", {"username": "alice", "password": PASSWORD},
                               content_type="application/json").json()
            token = ApiToken.objects.get()
            assert body["name"] == "Made with a password"
            assert token.expires_at == START + dt.timedelta(days=settings.HARBOUR_API_TOKEN_DAYS)

    @pytest.mark.parametrize("field, value", [("days", 0), ("days", 91), ("days", "30"), ("days", True),
                                              ("days", 2.5), ("name", "x" * 101), ("name", 5), ("name", "  ")])
    def test_bad_input_is_a_400_naming_the_field_and_makes_nothing(self, cast, client, field, value):
        answer = client.post("/api/auth/token/", {"username": "alice", "password": PASSWORD, field: value},
                             content_type="application/json")
        assert answer.status_code == 400 and field in answer.json(), answer.content
        assert not ApiToken.objects.exists()

    def test_a_wrong_password_or_a_deactivated_person_gets_nothing(self, cast, client):
        wrong = client.post("/api/auth/token/", {"username": "alice", "password": "nope"}, content_type="application/json")
        assert wrong.status_code == 400 and wrong.json()["non_field_errors"]
        User.objects.filter(pk=cast.bob.pk).update(is_active=False)
        gone = client.post("/api/auth/token/", {"username": "bob", "password": PASSWORD}, content_type="application/json")
        assert gone.status_code == 400 and not ApiToken.objects.exists()


# --- your own tokens: /api/me/tokens/ ---------------------------------------------------------------------

class TestYourTokensThroughTheApi:
    def test_the_list_is_yours_alone_and_never_shows_a_key(self, cast, api):
        mine, theirs = make_token(cast.bob, "Bob's script"), make_token(cast.alice, "Alice's script")
        listed = api(cast.bob).get("/api/me/tokens/")
        assert listed.status_code == 200
        assert [t["name"] for t in listed.json()] == ["Bob's script"]
        text = listed.content.decode()
        assert mine not in text and theirs not in text and "digest" not in text

    def test_make_one_signed_in(self, cast, api):
        answer = api(cast.bob).post("/api/me/tokens/", {"name": "Laptop", "days": 7}, format="json")
        assert answer.status_code == 201 and answer.json()["token"].startswith("hbr_")
        assert _works(answer.json()["token"])

    def test_a_token_cannot_make_tokens_and_is_told_where_they_are_made(self, cast):
        """A key that leaked must not be able to make itself others that outlive its revocation."""
        parent = make_token(cast.bob, "Short", days=3)
        for body in ({"name": "Another", "days": 60}, {"name": "Another"}):
            answer = _with(parent).post("/api/me/tokens/", body, format="json")
            assert answer.status_code == 403, answer.content
            assert "cannot make API tokens" in answer.json()["detail"]
            assert "Your API tokens" in answer.json()["detail"] and "/api/auth/token/" in answer.json()["detail"]
        assert list(ApiToken.objects.values_list("name", flat=True)) == ["Short"]
        # It may still list and revoke: it is the person's password or session that makes them.
        assert _with(parent).get("/api/me/tokens/").status_code == 200
        signed_in = _signed_in(cast.bob).post("/api/me/tokens/", {"name": "Signed in"}, content_type="application/json")
        assert signed_in.status_code == 201

    def test_bad_input_makes_nothing(self, cast, api):
        for body, field in (({}, "name"), ({"name": ""}, "name"), ({"name": "x", "days": 400}, "days"),
                            ({"name": "x", "days": "7"}, "days"), ({"name": "x\x00y"}, "name")):
            answer = api(cast.bob).post("/api/me/tokens/", body, format="json")
            assert answer.status_code == 400 and field in answer.json(), (body, answer.content)
        assert not ApiToken.objects.exists()

    def test_too_many_live_tokens_is_a_409_saying_what_to_do(self, cast, api):
        for n in range(LIVE_TOKENS_PER_PERSON):
            make_token(cast.bob, f"Script {n}")
        answer = api(cast.bob).post("/api/me/tokens/", {"name": "One more"}, format="json")
        assert answer.status_code == 409 and "Revoke one" in answer.json()["detail"]
        api_token_revoke(actor=cast.bob, token_id=ApiToken.objects.filter(user=cast.bob).first().pk)
        assert api(cast.bob).post("/api/me/tokens/", {"name": "One more"}, format="json").status_code == 201

    def test_revoke_your_own_and_it_stops_at_once(self, cast, api):
        key = make_token(cast.bob)
        token = ApiToken.objects.get()
        answer = api(cast.bob).post(f"/api/me/tokens/{token.pk}/revoke/")
        assert answer.status_code == 200 and answer.json()["works"] is False and answer.json()["end_reason"] == "revoked"
        assert not _works(key)
        again = api(cast.bob).post(f"/api/me/tokens/{token.pk}/revoke/")
        assert again.status_code == 409

    def test_a_program_may_revoke_the_token_it_uses(self, cast):
        key = make_token(cast.bob)
        assert _with(key).post(f"/api/me/tokens/{ApiToken.objects.get().pk}/revoke/").status_code == 200
        assert not _works(key)

    def test_someone_elses_token_does_not_exist_for_you(self, cast, api):
        key = make_token(cast.alice)
        theirs = ApiToken.objects.get()
        refused = api(cast.bob).post(f"/api/me/tokens/{theirs.pk}/revoke/")
        absent = api(cast.bob).post(f"/api/me/tokens/{theirs.pk + 1000}/revoke/")
        assert refused.status_code == absent.status_code == 404 and refused.content == absent.content
        assert _works(key)

    def test_nobody_signed_in_gets_a_401(self, cast):
        assert APIClient().get("/api/me/tokens/").status_code == 401
        assert APIClient().post("/api/me/tokens/", {"name": "x"}, format="json").status_code == 401


# --- when tokens stop working ------------------------------------------------------------------------------

class TestWhenTokensStop:
    def test_an_expired_token_gets_nothing(self, cast):
        with time_machine.travel(START, tick=False) as clock:
            key = make_token(cast.bob, days=1)
            assert _works(key)
            clock.shift(dt.timedelta(days=1, seconds=1))
            answer = _with(key).get("/api/incidents/")
            assert answer.status_code == 401 and "expired or been revoked" in answer.json()["detail"]

    def test_a_password_change_ends_every_token_by_any_route(self, cast, client):
        keys = [make_token(cast.bob, "One"), make_token(cast.bob, "Two")]
        other = make_token(cast.alice)
        cast.bob.set_password("a-brand-new-long-password")
        cast.bob.save()
        assert not any(_works(key) for key in keys) and _works(other)
        assert set(ApiToken.objects.filter(user=cast.bob).values_list("end_reason", flat=True)) == {
            TokenEnd.PASSWORD_CHANGED}
        # and by the admin site's own password form
        key = make_token(cast.bob)
        root = User.objects.create_superuser("root", "root@example.org", PASSWORD, full_name="Root Admin")
        admin = _signed_in(root)
        changed = admin.post(f"/admin/people/user/{cast.bob.pk}/password/",
                             {"password1": "another-long-password-7", "password2": "another-long-password-7",
                              "usable_password": "true"})
        assert changed.status_code == 302, changed.content
        assert not _works(key)

    def test_turning_off_password_sign_in_ends_every_token_too(self, cast):
        keys = [make_token(cast.bob, "One"), make_token(cast.bob, "Two")]
        other = make_token(cast.alice)
        cast.bob.set_unusable_password()
        cast.bob.save()
        assert not any(_works(key) for key in keys) and _works(other)
        assert set(ApiToken.objects.filter(user=cast.bob).values_list("end_reason", flat=True)) == {
            TokenEnd.PASSWORD_CHANGED}
        # and as an administrator does it, on the admin site's password form
        key = make_token(cast.alice)
        root = User.objects.create_superuser("root", "root@example.org", PASSWORD, full_name="Root Admin")
        turned_off = _signed_in(root).post(f"/admin/people/user/{cast.alice.pk}/password/",
                                           {"usable_password": "false", "unset-password": "Disable password-based authentication"})
        assert turned_off.status_code == 302, turned_off.content
        assert not User.objects.get(pk=cast.alice.pk).has_usable_password()
        assert not _works(key) and not _works(other)

    def test_signing_in_again_with_the_same_password_ends_nothing(self, cast, client, settings):
        """Django re-hashes a password when its hasher is upgraded, at sign-in: that is no password change."""
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                                     "django.contrib.auth.hashers.MD5PasswordHasher"]
        key = make_token(cast.bob)
        old_hash = User.objects.get(pk=cast.bob.pk).password
        assert client.post("/login/", {"username": "bob", "password": PASSWORD}).status_code == 302
        assert User.objects.get(pk=cast.bob.pk).password != old_hash  # upgraded
        assert _works(key)

    def test_deactivation_ends_them_for_good(self, cast):
        key = make_token(cast.bob)
        root = User.objects.create_superuser("root", "root@example.org", PASSWORD, full_name="Root Admin")
        User.objects.filter(pk=cast.bob.pk).update(is_active=False)  # as the admin site's form saves it
        person_access_changed(person=User.objects.get(pk=cast.bob.pk), actor=AdminSite(root))
        token = ApiToken.objects.get()
        assert token.end_reason == TokenEnd.DEACTIVATED and token.ended_by == root
        User.objects.filter(pk=cast.bob.pk).update(is_active=True)
        assert not _works(key)  # coming back brings no token back

    def test_deactivating_on_the_admin_site_ends_them(self, cast):
        key = make_token(cast.sam)
        root = User.objects.create_superuser("root", "root@example.org", PASSWORD, full_name="Root Admin")
        form = {"username": "sam", "full_name": "Sam Senior", "email": "sam@example.org", "is_active": "",
                "groups": [g.pk for g in cast.sam.groups.all()], "date_joined_0": "2026-01-01",
                "date_joined_1": "09:00:00"}
        assert _signed_in(root).post(f"/admin/people/user/{cast.sam.pk}/change/", form).status_code == 302
        assert not _works(key) and ApiToken.objects.get().end_reason == TokenEnd.DEACTIVATED

    def test_last_used_is_noted_at_most_once_a_minute(self, cast):
        with time_machine.travel(START, tick=False) as clock:
            key = make_token(cast.bob)
            assert ApiToken.objects.get().last_used_at is None
            _works(key)
            assert ApiToken.objects.get().last_used_at == START
            clock.shift(dt.timedelta(seconds=30))
            _works(key)
            assert ApiToken.objects.get().last_used_at == START
            clock.shift(dt.timedelta(seconds=31))
            _works(key)
            assert ApiToken.objects.get().last_used_at == START + dt.timedelta(seconds=61)


# --- sockets -----------------------------------------------------------------------------------------------

def _token_headers(key: str):
    return [ORIGIN, HOST, (b"authorization", f"Token {key}".encode())]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_socket_opened_with_a_token_closes_when_the_token_is_revoked(cast, incident):
    key = await database_sync_to_async(make_token)(cast.tom)
    communicator, connected, _ = await connect(incident.pk, _token_headers(key))
    assert connected
    token_id = await database_sync_to_async(lambda: ApiToken.objects.get().pk)()
    await database_sync_to_async(api_token_revoke)(actor=cast.tom, token_id=token_id)
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4403}
    again, connected, _ = await connect(incident.pk, _token_headers(key))
    assert not connected


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/boards/clocks/", "/ws/me/now/", "/ws/boards/follow-ups/",
                                  "/ws/boards/approvals/"])
async def test_a_board_socket_opened_with_a_token_closes_when_the_token_is_revoked_too(cast, path):
    key = await database_sync_to_async(make_token)(cast.tom)
    communicator = WebsocketCommunicator(application, path, headers=_token_headers(key))
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await _settled(communicator)
    token_id = await database_sync_to_async(lambda: ApiToken.objects.get().pk)()
    await database_sync_to_async(api_token_revoke)(actor=cast.tom, token_id=token_id)
    assert await _close_of(communicator) == 4403


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/incidents/{incident}/", "/ws/boards/clocks/", "/ws/me/now/"])
async def test_a_socket_opened_with_a_token_closes_when_the_token_expires(cast, incident, path):
    key = await database_sync_to_async(make_token)(cast.tom)

    def expire_soon() -> None:
        ApiToken.objects.update(expires_at=timezone.now() + dt.timedelta(seconds=1))

    await database_sync_to_async(expire_soon)()
    communicator = WebsocketCommunicator(application, path.format(incident=incident.pk), headers=_token_headers(key))
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    # Nothing is sent or revoked: the socket closes by itself when the token's time is up.
    assert await _close_of(communicator, timeout=6) == 4403


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_socket_opened_with_a_session_stays_open_when_a_token_of_its_person_ends(cast, incident):
    await database_sync_to_async(make_token)(cast.tom)
    communicator, connected, _ = await connect(incident.pk, await database_sync_to_async(session_headers)(cast.tom))
    assert connected
    token_id = await database_sync_to_async(lambda: ApiToken.objects.get().pk)()
    await database_sync_to_async(api_token_revoke)(actor=cast.tom, token_id=token_id)
    await communicator.send_json_to({"type": "resync", "after": 10**9})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "resync.done"
    await communicator.disconnect()


async def _settled(communicator) -> None:
    """Let a board read its first list (the Now page's socket reads it as it opens) before anything changes."""
    await communicator.receive_nothing(timeout=0.3)


async def _close_of(communicator, timeout: float = 5) -> int:
    """Read until the socket closes; the code it closed with (a board may redraw once before it hears why)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        output = await communicator.receive_output(timeout=max(0.1, deadline - asyncio.get_running_loop().time()))
        if output["type"] == "websocket.close":
            return output["code"]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_an_expired_token_opens_no_socket(cast, incident):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        key = await database_sync_to_async(make_token)(cast.tom, "Short", 1)
        clock.shift(dt.timedelta(days=2))
        _, connected, _ = await connect(incident.pk, _token_headers(key))
    assert not connected


# --- the page: "Your API tokens" -----------------------------------------------------------------------------

class TestYourTokensPage:
    def test_make_one_and_see_it_once(self, cast):
        page = _signed_in(cast.bob)
        assert page.get("/me/api-tokens/").status_code == 200
        made = page.post("/me/api-tokens/", {"name": "Rota sync", "days": "14"})
        assert made.status_code == 201
        key = re.search(r'value="(hbr_[^"]+)"', made.content.decode()).group(1)
        assert _works(key)
        again = page.get("/me/api-tokens/").content.decode()
        assert "Rota sync" in again and key not in again and "Not used" not in again  # it was just used
        assert "no-store" in made["Cache-Control"]

    def test_bad_input_is_a_form_error_and_makes_nothing(self, cast):
        page = _signed_in(cast.bob)
        for data, said in (({"name": "", "days": "14"}, "Enter a name for the token"),
                           ({"name": "x", "days": "0"}, "Enter at least 1 day"),
                           ({"name": "x", "days": "400"}, "Enter 90 days or fewer"),
                           ({"name": "x", "days": "soon"}, "whole number"),
                           ({"name": "x" * 101, "days": "5"}, "100 characters or fewer")):
            answer = page.post("/me/api-tokens/", data)
            assert answer.status_code == 400 and "There is a problem" in answer.content.decode()
            assert said in answer.content.decode(), (data, said)
        assert not ApiToken.objects.exists()

    def test_revoke_one_and_see_why_it_stopped(self, cast):
        key = make_token(cast.bob, "Old laptop")
        page = _signed_in(cast.bob)
        answer = page.post(f"/me/api-tokens/{ApiToken.objects.get().pk}/revoke/", follow=True)
        body = answer.content.decode()
        assert "“Old laptop” is revoked" in body and "revoked by its owner" in body
        assert not _works(key)

    def test_someone_elses_token_is_not_found_on_the_page_either(self, cast):
        key = make_token(cast.alice)
        answer = _signed_in(cast.bob).post(f"/me/api-tokens/{ApiToken.objects.get().pk}/revoke/")
        assert answer.status_code == 404 and _works(key)
        assert "Alice" not in _signed_in(cast.bob).get("/me/api-tokens/").content.decode()

    def test_signed_out_you_are_sent_to_sign_in(self, db):
        answer = Client().get("/me/api-tokens/")
        assert answer.status_code == 302 and answer["Location"].startswith("/login/")

    def test_the_menu_offers_the_page_to_those_with_tokens(self, cast):
        page = _signed_in(cast.bob)
        assert 'href="/me/api-tokens/"' not in page.get("/").content.decode()
        make_token(cast.bob)
        assert 'href="/me/api-tokens/"' in page.get("/").content.decode()


# --- the admin site: revoke, never read nor make -----------------------------------------------------------

class TestTheAdminSite:
    @pytest.fixture
    def admin(self, cast):
        return _signed_in(User.objects.create_superuser("root", "root@example.org", PASSWORD, full_name="Root Admin"))

    def test_lists_whose_and_what_for_but_never_the_token(self, cast, admin):
        key = make_token(cast.bob, "Rota sync")
        token = ApiToken.objects.get()
        listed = admin.get("/admin/incidents/apitoken/").content.decode()
        detail = admin.get(f"/admin/incidents/apitoken/{token.pk}/change/").content.decode()
        for page in (listed, detail):
            assert "Rota sync" in page and "Bob Brown" in page
            assert key not in page and token.digest not in page
        assert admin.get(f"/admin/incidents/apitoken/?q={token.digest[:12]}").content.decode().count("Rota sync") == 0

    def test_cannot_make_change_or_delete_one(self, cast, admin):
        make_token(cast.bob)
        token = ApiToken.objects.get()
        assert admin.get("/admin/incidents/apitoken/add/").status_code == 403
        assert admin.post(f"/admin/incidents/apitoken/{token.pk}/change/", {"name": "x"}).status_code == 403
        assert admin.post(f"/admin/incidents/apitoken/{token.pk}/delete/", {"post": "yes"}).status_code == 403
        assert ApiToken.objects.get().name != "x"

    def test_revokes_with_its_action(self, cast, admin):
        keys = [make_token(cast.bob), make_token(cast.alice)]
        ids = list(ApiToken.objects.values_list("pk", flat=True))
        answer = admin.post("/admin/incidents/apitoken/", {"action": "revoke", "_selected_action": ids}, follow=True)
        assert "Revoked 2 tokens" in answer.content.decode()
        assert not any(_works(key) for key in keys)
        assert set(ApiToken.objects.values_list("end_reason", flat=True)) == {TokenEnd.ADMIN}
        assert "delete_selected" not in admin.get("/admin/incidents/apitoken/").content.decode()


def test_the_schema_names_the_token_scheme(cast, client):
    client.force_login(cast.alice)
    schema = client.get("/api/schema/?format=json").json()
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header" and scheme["name"] == "Authorization"
    assert "/api/me/tokens/" in schema["paths"] and "/api/me/tokens/{token_id}/revoke/" in schema["paths"]
