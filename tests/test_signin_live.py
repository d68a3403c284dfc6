"""The probe of issue 18 again, against a real daphne (`manage.py serve`, as `make run` and the image run it):
thirty wrong passwords with a different X-Forwarded-For each, and five with a chosen address, on the sign-in
page and the token endpoint. In-process details are in tests/test_signin.py."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.servers import default_mode, harbour_stack

# Its servers are the embedded default whatever the suite's configuration, so it runs once (in the embedded
# step), and on one test process, which starts each module server once.
pytestmark = [
    pytest.mark.real_clock,
    pytest.mark.xdist_group("signin_live"),
    pytest.mark.skipif(default_mode() == "production", reason="starts embedded servers of its own: runs in the "
                       "embedded step"),
]

DEMO_PASSWORD = "harbour-demo"


class _BehindTLS(http.cookiejar.DefaultCookiePolicy):
    """The proxy speaks HTTPS to the browser and HTTP to Harbour: Secure cookies go back, as they would."""

    def return_ok_secure(self, cookie, request):
        return True


class Browser:
    """A client with its own cookies that can say whatever it likes in X-Forwarded-For. With `proto`, it
    also plays the TLS proxy's part of saying which scheme it served (X-Forwarded-Proto)."""

    def __init__(self, base: str, proto: str | None = None):
        self.base, self.proto = base, proto
        self.jar = http.cookiejar.CookieJar(_BehindTLS())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def _open(self, request: urllib.request.Request) -> tuple[int, dict, str]:
        if self.proto:
            request.add_header("X-Forwarded-Proto", self.proto)
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def sign_in(self, username: str, password: str, forwarded: str | None = None) -> tuple[int, dict, str]:
        status, _, page = self._open(urllib.request.Request(f"{self.base}/login/"))
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
        request = urllib.request.Request(f"{self.base}/login/", data=body.encode(), method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        scheme = self.proto or "http"
        request.add_header("Referer", f"{scheme}://{urllib.parse.urlsplit(self.base).netloc}/login/")
        if forwarded is not None:
            request.add_header("X-Forwarded-For", forwarded)
        return self._open(request)

    def token(self, username: str, password: str, forwarded: str | None = None) -> tuple[int, dict, str]:
        request = urllib.request.Request(f"{self.base}/api/auth/token/", method="POST",
                                         data=json.dumps({"username": username, "password": password}).encode())
        request.add_header("Content-Type", "application/json")
        if forwarded is not None:
            request.add_header("X-Forwarded-For", forwarded)
        return self._open(request)

    def sign_out(self) -> None:
        self.jar.clear(urllib.parse.urlsplit(self.base).hostname, "/", "sessionid")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def no_proxies():
    with harbour_stack("embedded") as stack:
        yield stack.url


@pytest.fixture(scope="module")
def one_proxy():
    """As compose.yaml runs it: one TLS proxy in front, HTTPS on (Secure cookies, redirect, HSTS)."""
    with harbour_stack("embedded", extra_env={"HARBOUR_TRUSTED_PROXIES": "1", "HARBOUR_HTTPS": "1"}) as stack:
        yield stack.url


def test_behind_the_tls_proxy_its_forwarded_scheme_is_believed(one_proxy):
    status, headers, _ = Browser(one_proxy)._open(urllib.request.Request(f"{one_proxy}/login/"))
    assert status == 301 and headers["Location"].startswith("https://")  # plain HTTP: off to HTTPS
    status, headers, _ = Browser(one_proxy, "https")._open(urllib.request.Request(f"{one_proxy}/login/"))
    assert status == 200 and "max-age=" in headers["Strict-Transport-Security"]
    person = Browser(one_proxy, "https")
    status, headers, _ = person.sign_in("dhughes", DEMO_PASSWORD, "203.0.113.5")
    assert status == 302
    secure = {cookie.name for cookie in person.jar if cookie.secure}
    assert {"sessionid", "csrftoken", "harbour_device"} <= secure


def test_with_no_proxy_in_front_a_client_cannot_claim_https_for_itself():
    """HTTPS on, nothing in front: X-Forwarded-Proto is the client's own word, so plain HTTP is still sent
    off to HTTPS, however the header reads."""
    with harbour_stack("embedded", extra_env={"HARBOUR_HTTPS": "1"}) as stack:
        status, headers, _ = Browser(stack.url, "https")._open(urllib.request.Request(f"{stack.url}/login/"))
    assert status == 301 and headers["Location"].startswith("https://")


@pytest.mark.parametrize("door", ["sign_in", "token"])
def test_thirty_wrong_passwords_each_from_a_new_forwarded_address_are_paused_at_the_fifth(no_proxies, door):
    attacker = Browser(no_proxies)
    answers = [getattr(attacker, door)("bpatel" if door == "sign_in" else "jmorgan", "wrong-password",
                                       f"198.51.100.{n}")[0] for n in range(30)]
    refused = 200 if door == "sign_in" else 400
    assert answers[:4] == [refused] * 4 and set(answers[4:]) == {429}


@pytest.mark.parametrize("door", ["sign_in", "token"])
def test_five_wrong_passwords_from_a_chosen_address_do_not_lock_its_owner_out(one_proxy, door):
    attacker, owner = Browser(one_proxy, "https"), Browser(one_proxy, "https")
    username = "tadeyemi" if door == "sign_in" else "xlopez"
    for _ in range(5):
        getattr(attacker, door)(username, "wrong-password", "203.0.113.77, 198.51.100.66")
    assert getattr(attacker, door)(username, DEMO_PASSWORD, "203.0.113.77, 198.51.100.66")[0] == 429
    status, _, _ = getattr(owner, door)(username, DEMO_PASSWORD, "203.0.113.77")
    assert status == (302 if door == "sign_in" else 200)


@pytest.mark.parametrize("door", ["sign_in", "token"])
def test_behind_a_proxy_rotating_addresses_are_limited_per_account_and_the_owner_still_gets_in(one_proxy, door):
    username = "lbrennan" if door == "sign_in" else "rcollins"
    owner = Browser(one_proxy, "https")
    assert owner.sign_in(username, DEMO_PASSWORD, "203.0.113.10")[0] == 302  # her own browser, before
    owner.sign_out()
    attacker = Browser(one_proxy, "https")
    answers = [getattr(attacker, door)(username, "wrong-password", f"10.0.0.1, 198.51.100.{n}")[0]
               for n in range(30)]
    assert 429 not in answers[:10] and set(answers[10:]) == {429}
    status, headers, body = getattr(Browser(one_proxy, "https"), door)(username, DEMO_PASSWORD, "203.0.113.11")
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 15 * 60 and "new device" in body
    assert owner.sign_in(username, DEMO_PASSWORD, "203.0.113.10")[0] == 302
