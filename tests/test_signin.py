"""Sign-in throttling a header cannot fool (issue 18, point 2), in-process: the client address counted only
as deep as the deployment has proxies, limits per address pair, per account and per address, and a person
never locked out of their own account. tests/test_signin_live.py does the same over a real daphne."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client, RequestFactory

from core.client_address import client_address
from people.models import SignInFailure
from people.signin import DEVICE_COOKIE, address_of
from tests.factories import PASSWORD, make_user

START = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def _request(remote="10.0.0.9", forwarded: str | None = None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/login/", **headers)


# --- the client's address ----------------------------------------------------------------------------------

@pytest.mark.parametrize("hops, remote, forwarded, expected", [
    (0, "10.0.0.9", None, "10.0.0.9"),
    (0, "10.0.0.9", "203.0.113.5", "10.0.0.9"),  # no proxies: the header is ignored entirely
    (0, "10.0.0.9", "203.0.113.5, 198.51.100.1", "10.0.0.9"),
    (1, "10.0.0.9", "203.0.113.5", "203.0.113.5"),  # our proxy saw 203.0.113.5
    (1, "10.0.0.9", "1.1.1.1, 203.0.113.5", "203.0.113.5"),  # the client wrote 1.1.1.1: not believed
    (1, "10.0.0.9", "anything, 1.1.1.1,203.0.113.5", "203.0.113.5"),
    (1, "10.0.0.9", None, "10.0.0.9"),  # came straight to Harbour, past the proxy
    (2, "10.0.0.9", "1.1.1.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),  # two proxies: two hops from the right
    (2, "10.0.0.9", "203.0.113.5", "203.0.113.5"),  # only through the inner proxy
    (1, "10.0.0.9", "2001:db8::7", "2001:db8::7"),
    (1, "10.0.0.9", "[2001:db8::7]:4431", "2001:db8::7"),
    (1, "10.0.0.9", "203.0.113.5:5000", "203.0.113.5"),
    (1, "10.0.0.9", "1.1.1.1, not-an-address", "10.0.0.9"),  # a proxy writing nonsense: the peer, never the spoof
])
def test_the_client_is_counted_from_the_right_as_deep_as_there_are_proxies(settings, hops, remote, forwarded,
                                                                           expected):
    settings.HARBOUR_TRUSTED_PROXIES = hops
    assert client_address(_request(remote, forwarded)) == expected


def test_a_forwarded_header_ignored_for_want_of_proxies_is_said_once_in_the_log(settings, caplog):
    import core.client_address as module

    settings.HARBOUR_TRUSTED_PROXIES = 0
    module._warned = False
    for _ in range(3):
        client_address(_request(forwarded="203.0.113.5"))
    warnings = [r for r in caplog.records if "HARBOUR_TRUSTED_PROXIES" in r.getMessage()]
    assert len(warnings) == 1


# --- the limits --------------------------------------------------------------------------------------------

def _sign_in(client: Client, username: str, password: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client.post("/login/", {"username": username, "password": password}, **extra)


def _token(client: Client, username: str, password: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client.post("/api/auth/token/", {"username": username, "password": password},
                       content_type="application/json", **extra)


@pytest.fixture
def alice(db):
    return make_user("alice", "Alice Adams")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
@pytest.mark.parametrize("door", [_sign_in, _token], ids=["page", "token"])
def test_with_no_proxies_a_rotating_forwarded_header_buys_nothing(alice, clock, settings, door):
    settings.HARBOUR_TRUSTED_PROXIES = 0
    client = Client()
    answers = [door(client, "alice", "wrong", f"198.51.100.{n}").status_code for n in range(30)]
    refused = 200 if door is _sign_in else 400
    assert answers[:4] == [refused] * 4 and set(answers[4:]) == {429}
    # and only four wrong passwords were ever checked: the fifth paused, the rest never tried one
    assert SignInFailure.objects.count() == 5 and set(SignInFailure.objects.values_list("address", flat=True)) == {
        "127.0.0.1"}


@pytest.mark.django_db
@pytest.mark.parametrize("door", [_sign_in, _token], ids=["page", "token"])
def test_behind_a_proxy_new_addresses_buy_no_more_guesses_for_one_account(alice, clock, settings, door):
    settings.HARBOUR_TRUSTED_PROXIES = 1
    limit = settings.HARBOUR_SIGNIN_ACCOUNT_LIMIT
    client = Client()
    # Each from a different real address (as our proxy saw it), with a spoofed entry on the left too.
    answers = [door(client, "alice", "wrong", f"10.9.9.9, 198.51.100.{n}").status_code for n in range(limit + 20)]
    assert 429 not in answers[:limit] and set(answers[limit:]) == {429}
    assert SignInFailure.objects.filter(username="alice").count() == limit
    # Alice, from a device she has never signed in on, is slowed too: told to wait, with how long
    paused = door(Client(), "alice", PASSWORD, "203.0.113.77")
    assert paused.status_code == 429
    assert 0 < int(paused["Retry-After"]) <= settings.HARBOUR_SIGNIN_WINDOW_MINUTES * 60
    wording = paused.json()["detail"] if door is _token else paused.content.decode()
    assert "from a new device is paused" in wording and "signed in on before" in wording


@pytest.mark.django_db
def test_the_person_signs_in_on_their_own_browser_however_hard_someone_else_guesses(alice, clock, settings):
    settings.HARBOUR_TRUSTED_PROXIES = 1
    own = Client()
    assert _sign_in(own, "alice", PASSWORD, "203.0.113.77").status_code == 302  # last week, say
    assert DEVICE_COOKIE in own.cookies and own.cookies[DEVICE_COOKIE]["httponly"]
    own.post("/logout/")
    attacker = Client()
    for n in range(50):
        _sign_in(attacker, "alice", "wrong", f"198.51.100.{n}")
    assert _sign_in(Client(), "alice", PASSWORD, "203.0.113.78").status_code == 429  # a new device waits
    assert _sign_in(own, "alice", PASSWORD, "203.0.113.77").status_code == 302  # her own browser does not
    # and the token endpoint honours her browser too
    assert _token(own, "alice", PASSWORD, "203.0.113.77").status_code == 200


@pytest.mark.django_db
def test_a_device_cookie_names_one_account_and_dies_with_the_password(alice, clock, settings):
    settings.HARBOUR_TRUSTED_PROXIES = 1
    bob = make_user("bob", "Bob Brown")
    own = Client()
    assert _sign_in(own, "alice", PASSWORD, "203.0.113.77").status_code == 302
    own.post("/logout/")
    for n in range(settings.HARBOUR_SIGNIN_ACCOUNT_LIMIT):
        _sign_in(Client(), "bob", "wrong", f"198.51.100.{n}")
    # Alice's browser is not a device Bob's account has signed in on
    assert _sign_in(own, "bob", PASSWORD, "203.0.113.77").status_code == 429
    for n in range(settings.HARBOUR_SIGNIN_ACCOUNT_LIMIT):
        _sign_in(Client(), "alice", "wrong", f"198.51.100.{n}")
    assert _sign_in(own, "alice", PASSWORD, "203.0.113.77").status_code == 302
    own.post("/logout/")
    alice.set_password("a-new-long-password-2027")
    alice.save()
    # after a password change the browser is new again (it may have been the thief's)
    assert _sign_in(own, "alice", "a-new-long-password-2027", "203.0.113.77").status_code == 429
    forged = Client()
    forged.cookies[DEVICE_COOKIE] = "not-signed-by-harbour"
    assert _sign_in(forged, "bob", PASSWORD, "203.0.113.9").status_code == 429
    assert bob.pk


@pytest.mark.django_db
def test_a_trusted_device_that_keeps_failing_is_trusted_no_more(alice, clock, settings):
    settings.HARBOUR_TRUSTED_PROXIES = 1
    stolen = Client()
    assert _sign_in(stolen, "alice", PASSWORD, "203.0.113.77").status_code == 302
    stolen.post("/logout/")
    for n in range(settings.HARBOUR_SIGNIN_ACCOUNT_LIMIT):
        _sign_in(Client(), "alice", "wrong", f"198.51.100.{n}")
    # from a fresh address each time, so the pair limit never comes into it
    for n in range(settings.AXES_FAILURE_LIMIT):
        assert _sign_in(stolen, "alice", "wrong", f"192.0.2.{n}").status_code == 200
    assert _sign_in(stolen, "alice", PASSWORD, "192.0.2.200").status_code == 429


@pytest.mark.django_db
def test_a_chosen_address_pauses_only_the_one_who_chose_it(alice, clock, settings):
    """The probe's second finding: five wrong passwords 'from' Alice's address locked her out."""
    settings.HARBOUR_TRUSTED_PROXIES = 1
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(attacker, "alice", "wrong", "203.0.113.77, 198.51.100.66")
    assert _sign_in(attacker, "alice", PASSWORD, "203.0.113.77, 198.51.100.66").status_code == 429
    assert _sign_in(Client(), "alice", PASSWORD, "203.0.113.77").status_code == 302


@pytest.mark.django_db
def test_the_account_limit_is_a_rate_not_a_lock(alice, clock, settings):
    settings.HARBOUR_TRUSTED_PROXIES = 1
    limit, window = settings.HARBOUR_SIGNIN_ACCOUNT_LIMIT, settings.HARBOUR_SIGNIN_WINDOW_MINUTES
    for n in range(limit):
        _sign_in(Client(), "alice", "wrong", f"198.51.100.{n}")
        clock.shift(dt.timedelta(seconds=30))
    # hammering while paused neither counts nor lengthens the pause
    for n in range(100):
        assert _sign_in(Client(), "alice", "wrong", f"192.0.2.{n}").status_code == 429
    waiting = _sign_in(Client(), "alice", PASSWORD, "203.0.113.1")
    retry = int(waiting["Retry-After"])
    assert retry == window * 60 - limit * 30  # when the first failure leaves the window
    clock.shift(dt.timedelta(seconds=retry))
    assert _sign_in(Client(), "alice", PASSWORD, "203.0.113.1").status_code == 302  # room again, by itself


@pytest.mark.django_db
def test_spraying_many_usernames_from_one_address_is_paused_but_known_devices_there_are_not(clock, settings):
    settings.HARBOUR_TRUSTED_PROXIES = 1
    office = "203.0.113.50"
    alice = make_user("alice", "Alice Adams")
    own = Client()
    assert _sign_in(own, "alice", PASSWORD, office).status_code == 302
    own.post("/logout/")
    for n in range(settings.HARBOUR_SIGNIN_ADDRESS_LIMIT):
        assert _sign_in(Client(), f"user{n}", "Summer2027!", office).status_code == 200
    paused = _sign_in(Client(), "someone-else", "Summer2027!", office)
    assert paused.status_code == 429 and "attempts to sign in from your network" in paused.content.decode()
    assert _sign_in(Client(), "alice", PASSWORD, office).status_code == 429  # a new device in that office waits
    assert _sign_in(own, "alice", PASSWORD, office).status_code == 302  # Alice at her own desk does not
    assert _sign_in(Client(), "alice", PASSWORD, "198.51.100.1").status_code == 302  # nor from elsewhere
    assert alice.pk


@pytest.mark.parametrize("remote, counted", [
    ("2001:db8:1:2::7", "2001:db8:1:2::"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::"),  # the same /64: the same household or host
    ("2001:db8:1:3::7", "2001:db8:1:3::"),
    ("203.0.113.5", "203.0.113.5"),
    ("::ffff:203.0.113.5", "203.0.113.5"),  # an IPv4 client on a dual-stack socket is that IPv4 address
])
def test_an_ipv6_client_is_counted_by_its_64(settings, remote, counted):
    settings.HARBOUR_TRUSTED_PROXIES = 0
    assert address_of(_request(remote)) == counted


@pytest.mark.django_db
def test_spraying_from_fresh_addresses_in_one_ipv6_64_is_paused_as_one_address(clock, settings):
    settings.HARBOUR_TRUSTED_PROXIES = 1
    for n in range(settings.HARBOUR_SIGNIN_ADDRESS_LIMIT):
        assert _sign_in(Client(), f"user{n}", "Summer2027!", f"2001:db8:7:7::{n + 1:x}").status_code == 200
    paused = _sign_in(Client(), "someone-else", "Summer2027!", "2001:db8:7:7:abcd::1")
    assert paused.status_code == 429 and "attempts to sign in from your network" in paused.content.decode()
    assert _sign_in(Client(), "someone-else", "Summer2027!", "2001:db8:7:8::1").status_code == 200  # next /64


@pytest.mark.django_db
def test_signin_reset_lifts_the_account_limit(alice, clock, settings):
    settings.HARBOUR_TRUSTED_PROXIES = 1
    for n in range(settings.HARBOUR_SIGNIN_ACCOUNT_LIMIT):
        _sign_in(Client(), "alice", "wrong", f"198.51.100.{n}")
    assert _sign_in(Client(), "alice", PASSWORD, "203.0.113.1").status_code == 429
    call_command("signin_reset", "alice")
    assert _sign_in(Client(), "alice", PASSWORD, "203.0.113.1").status_code == 302


@pytest.mark.django_db
def test_old_failures_are_forgotten(alice, clock, settings):
    _sign_in(Client(), "alice", "wrong")
    clock.shift(dt.timedelta(days=2))
    _sign_in(Client(), "alice", "wrong")
    assert SignInFailure.objects.count() == 1


@pytest.mark.django_db
def test_the_admin_sign_in_is_throttled_too(alice, clock, settings):
    settings.HARBOUR_TRUSTED_PROXIES = 1
    for n in range(settings.HARBOUR_SIGNIN_ACCOUNT_LIMIT):
        Client().post("/admin/login/", {"username": "alice", "password": "wrong"},
                      HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert Client().post("/admin/login/", {"username": "alice", "password": PASSWORD},
                         HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429


@pytest.mark.parametrize("variable, value", [("HARBOUR_TRUSTED_PROXIES", "-1"), ("HARBOUR_TRUSTED_PROXIES", "one"),
                                             ("HARBOUR_SIGNIN_ACCOUNT_LIMIT", "0"), ("HARBOUR_API_TOKEN_DAYS", "0")])
def test_a_setting_that_cannot_be_right_stops_harbour_at_start(variable, value):
    from tests.test_configuration import django

    result = django("check", **{variable: value})
    assert result.returncode != 0 and variable in result.stderr
