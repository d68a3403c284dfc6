"""Sign-in throttling that a header cannot fool, and that never locks a person out of their own account.

Every way in (the sign-in page, the admin site's, `POST /api/auth/token/`) goes through Django's
`authenticate()`, so the limits are an authentication backend, `SignInThrottle`, that authenticates nobody:
it runs after django-axes and refuses, before any password is checked, an attempt that one of these limits
pauses. Failures are recorded from Django's `user_login_failed`, which every way in sends.

1. One username from one address (django-axes, AXES_FAILURE_LIMIT in AXES_COOLOFF_MINUTES). The address
   is the real one (core/client_address.py), so an attacker pauses only themselves, from where they are.
2. One username from anywhere (HARBOUR_SIGNIN_ACCOUNT_LIMIT failures in HARBOUR_SIGNIN_WINDOW_MINUTES):
   new addresses buy no more guesses. This is a rate, not a lock: refused attempts are not counted, and
   once the oldest failure leaves the window there is room again. And it applies only to devices the
   account has not signed in on: the person's own browser, which a successful sign-in marked with a
   signed cookie naming the account, still gets through however hard someone else is guessing. (OWASP's
   "device cookies".) A trusted device that itself fails AXES_FAILURE_LIMIT times is trusted no more.
3. One address, any username (HARBOUR_SIGNIN_ADDRESS_LIMIT in the window): password spraying. Trusted
   devices are not counted against their address, so an office behind one address is not paused by
   one colleague's mistakes.

What the person under attack sees: on a browser they have signed in on in the last HARBOUR_SIGNIN_DEVICE_DAYS,
nothing. On a new device, possibly "signing in from a new device is paused for a few minutes", with the time
to wait (at most the window); an administrator can clear it (`manage.py signin_reset`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core.client_address import client_address
from core.views import api_request

from .models import SignInFailure

DEVICE_COOKIE = "harbour_device"
_DEVICE_SALT = "harbour.signin.device"
USERNAME_LENGTH = 150  # Django's: a longer one names nobody


@dataclass(frozen=True)
class Pause:
    """Why an attempt was refused before its password was checked, and for how many seconds more."""

    limit: str  # "account" or "address"
    retry_after: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.HARBOUR_SIGNIN_WINDOW_MINUTES)


# --- trusted devices ---------------------------------------------------------------------------------------


def _fingerprint(user) -> str:
    """Changes with the password: a device trusted before a password change is trusted no more."""
    return salted_hmac(_DEVICE_SALT, user.password).hexdigest()[:20]


def device_cookie_value(user) -> str:
    return signing.dumps({"d": secrets.token_hex(16), "u": user.pk, "p": _fingerprint(user)}, salt=_DEVICE_SALT)


def remember_device(response, user) -> None:
    """After a successful sign-in on the page: this browser is now one the account has signed in on."""
    response.set_cookie(
        DEVICE_COOKIE, device_cookie_value(user), max_age=settings.HARBOUR_SIGNIN_DEVICE_DAYS * 86400,
        httponly=True, secure=settings.SESSION_COOKIE_SECURE, samesite="Lax",
    )


def _device_for(request, username: str) -> str:
    """The id of the trusted device this request comes from, for this username; "" if none. Read once
    per request (the check before the password and the record after it must agree)."""
    cache = request.__dict__.setdefault("_harbour_devices", {})
    if username not in cache:
        cache[username] = _read_device(request, username)
    return cache[username]


def _read_device(request, username: str) -> str:
    from django.contrib.auth import get_user_model

    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return ""
    try:
        claim = signing.loads(value, salt=_DEVICE_SALT, max_age=settings.HARBOUR_SIGNIN_DEVICE_DAYS * 86400)
        device, user_id, fingerprint = str(claim["d"]), claim["u"], str(claim["p"])
    except (signing.BadSignature, KeyError, TypeError):
        return ""
    user = get_user_model()._default_manager.filter(username=username, pk=user_id).only("pk", "password").first()
    if user is None or not constant_time_compare(fingerprint, _fingerprint(user)):
        return ""

    own = SignInFailure.objects.filter(device=device, at__gt=timezone.now() - _window()).count()
    return device if own < settings.AXES_FAILURE_LIMIT else ""


# --- the limits --------------------------------------------------------------------------------------------


def address_of(request) -> str | None:
    """The address the limits count by: the client's, but for IPv6 its /64, because one household or one
    attacker's host is given a whole /64 and could spend a fresh address on every guess."""
    address = client_address(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address
    if ip.version == 4:
        return address
    if ip.ipv4_mapped is not None:  # an IPv4 client on a dual-stack socket is that IPv4 address
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)


def pause_for(request, username: str) -> Pause | None:
    """Is an attempt for this username, from this request, paused by the account or address limit?"""

    if _device_for(request, username):
        return None
    now = timezone.now()
    recent = SignInFailure.objects.filter(at__gt=now - _window(), device="")
    limits = [("account", recent.filter(username=username[:USERNAME_LENGTH]), settings.HARBOUR_SIGNIN_ACCOUNT_LIMIT)]
    address = address_of(request)
    if address is not None:
        limits.append(("address", recent.filter(address=address), settings.HARBOUR_SIGNIN_ADDRESS_LIMIT))
    for limit, failures, most in limits:
        times = list(failures.order_by("-at").values_list("at", flat=True)[:most])
        if len(times) >= most:
            # Room again when the oldest of the last `most` failures leaves the window.
            return Pause(limit, max(1, math.ceil((times[-1] + _window() - now).total_seconds())))
    return None


class SignInThrottle:
    """An authentication backend that authenticates nobody: it refuses attempts a limit pauses (see above).
    It marks the request as django-axes does, so axes' middleware answers with core.views.locked_out, and
    axes does not count the refused attempt as a failure."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None:
            return None
        pause = pause_for(request, str(username))
        if pause is not None:
            request.harbour_signin_pause = pause
            request.axes_locked_out = True
            raise PermissionDenied(f"Signing in is paused ({pause.limit}).")
        # Every limit let it through (axes too: it runs first and would have raised): its password is
        # checked next, so a failure now is a real guess, to be counted.
        request.harbour_signin_checked = True
        return None

    # No get_user(): it never signs anyone in, and Django's force_login() would pick the first backend
    # that has one to keep people signed in with.


def record_failure(sender, credentials: dict, request=None, **kwargs) -> None:
    """`user_login_failed`: count a failed attempt whose password was checked; not one refused unchecked
    because a limit paused it (axes marks the request locked out for the failure that starts a pause, too,
    so that is no guide)."""

    username = credentials.get("username")
    if request is None or username is None or not getattr(request, "harbour_signin_checked", False):
        return
    username = str(username)
    now = timezone.now()
    SignInFailure.objects.create(at=now, username=username[:USERNAME_LENGTH], address=address_of(request),
                                 device=_device_for(request, username))
    # Failures older than any window are of no further use. The `at` index makes this cheap.
    SignInFailure.objects.filter(at__lt=now - max(_window(), dt.timedelta(days=1))).delete()


def reset(username: str | None = None) -> int:
    """Forget failures (of one username, or all): `manage.py signin_reset`."""

    failures = SignInFailure.objects.all() if username is None else SignInFailure.objects.filter(username=username)
    return failures.delete()[0]


# --- the answers ---------------------------------------------------------------------------------------------


def locked_out(request, *args, **kwargs):
    """Signing in is paused (above): 429 with Retry-After, in words, for pages and the API. Either
    django-axes paused this username at this address, or the account or address limit paused this device."""
    pause = getattr(request, "harbour_signin_pause", None)
    if pause is None:
        minutes, why = round(settings.AXES_COOLOFF_TIME * 60), "pair"
    else:
        minutes, why = pause.minutes, pause.limit
    detail = {
        "pair": f"Signing in is paused after repeated failures. Try again in {minutes} minutes.",
        "account": f"Signing in to this account from a new device is paused after many failed attempts. Try again "
                   f"in {minutes} minutes, or sign in from a device you have signed in on before.",
        "address": f"Signing in from your network is paused after many failed attempts. Try again in {minutes} "
                   "minutes.",
    }[why]
    if api_request(request):
        response = JsonResponse({"detail": detail}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"minutes": minutes, "why": why}, status=429)
    response["Retry-After"] = str(pause.retry_after if pause else minutes * 60)
    return response


class SignIn(LoginView):
    """Django's sign-in page, which also marks this browser as one the account has signed in on, so the
    account limit never pauses the person on it (above)."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        remember_device(response, form.get_user())
        return response
