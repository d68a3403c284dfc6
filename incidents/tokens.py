"""API tokens: made, revoked, ended and used, one function each (the reads are in selectors.py).

A token is made by its owner alone, signed in as a person (the page, the API with a browser session, or
`POST /api/auth/token/` with a password), never by a program with another token; shown once, and kept as
a digest. It ends when it expires, when its owner or an administrator revokes it, and, all of a person's
at once, when their password changes or they are deactivated. Sockets opened with a token close (4403)
when it expires (a timer of their own) or ends: the ending is told to the owner's sockets, which look
again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import realtime
from core.actors import Actor, AdminSite, person_of
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.text import checked_text
from people.models import User

from .models import ApiToken, TokenEnd
from .policy import TokenAction, api_tokens

LIVE_TOKENS_PER_PERSON = 25  # a script that makes a token on every run is told, rather than piling them up
TOKEN_PREFIX = "hbr_"  # noqa: S105 - a label saying what it is, to a person and to secret scanners


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def api_token_make(*, actor: User, name: Any, days: Any = None, through: ApiToken | None = None) -> tuple[ApiToken, str]:
    """Make a token for the actor: (the token, its key). The key is in no record: show it now or never.
    A request made with a token (`through`) may not make one: a key that leaked could otherwise make
    itself others that outlive its revocation, which its owner would have to find and revoke one by one.
    Making a credential takes the person: their password, or their session on the page."""
    api_tokens.check(actor, TokenAction.MAKE)
    if through is not None:
        raise PermissionDenied("An API token cannot make API tokens. Make one on the \"Your API tokens\" page, or "
                               "with your username and password at POST /api/auth/token/.")
    errors: dict[str, list[str]] = {}
    name = checked_text(errors, ApiToken, "name", name, required=True, missing="Enter a name for the token.")
    longest = settings.HARBOUR_API_TOKEN_DAYS
    if days is None or days == "":
        days = longest
    elif isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= longest:
        errors["days"] = [f"Enter a whole number of days from 1 to {longest}."]
    if errors:
        raise InvalidInput(errors)
    now = timezone.now()
    expires_at = now + dt.timedelta(days=days)
    with transaction.atomic():
        # One at a time per person, so two made at once cannot both slip under the limit.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        if ApiToken.objects.live(now).filter(user=actor).count() >= LIVE_TOKENS_PER_PERSON:
            raise Conflict(f"You have {LIVE_TOKENS_PER_PERSON} API tokens that still work. Revoke one you no longer "
                           "use before making another.", code="too_many_tokens")
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(user=actor, name=name, digest=api_token_digest(key), created_at=now,
                                        expires_at=expires_at)
    return token, key


def api_token_revoke(*, actor: Actor, token_id: Any) -> ApiToken:
    """Revoke one token (its owner, or the admin site). Revoking one that has already ended is refused."""
    with transaction.atomic():
        token = api_tokens.fetch(actor, TokenAction.REVOKE, token_id, ApiToken.objects.select_for_update())
        if not token.is_live():
            raise Conflict("This token has already stopped working.", code="token_ended")
        reason = TokenEnd.ADMIN if isinstance(actor, AdminSite) else TokenEnd.REVOKED
        _end(ApiToken.objects.filter(pk=token.pk), reason, person_of(actor))
    token.refresh_from_db()
    return token


def api_tokens_end(*, person: User, reason: str, actor: Actor = None) -> int:
    """End every token of the person that still works (a password change, deactivation). Returns how many."""
    return _end(ApiToken.objects.filter(user=person, ended_at__isnull=True), reason, person_of(actor))


def _end(tokens, reason: str, by: User | None) -> int:
    """End these tokens now, and tell their owners' sockets to look again after commit (a socket opened
    with one of them closes)."""
    owners = set(tokens.values_list("user_id", flat=True))
    ended = tokens.update(ended_at=timezone.now(), end_reason=reason, ended_by=by)
    for owner in owners:
        realtime.broadcast_on_commit(realtime.user_group(owner), realtime.access_changed_message(0))
    return ended


def api_token_used(token: ApiToken) -> None:
    """Note that a token was used, at most once a minute: a request should not cost a write."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now

