"""Who a request with an API token is: `Authorization: Token <key>` for the API (ApiTokenAuthentication)
and for sockets (config/socket_auth.py), both through `live_token`. And the one place Harbour hears that a
password changed, whichever way it changed: PasswordChangeEndsTokens."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiToken, TokenEnd
from .tokens import api_token_digest, api_token_used, api_tokens_end

KEYWORD = "Token"
LONGEST_KEY = 200  # ours are 47 characters: anything much longer is not one


def live_token(key: str) -> ApiToken | None:
    """The token this key is, if it still works (not expired, not ended, its owner active); else None.
    Its use is noted (at most once a minute)."""
    if not key or len(key) > LONGEST_KEY:
        return None
    token = (ApiToken.objects.live(timezone.now()).select_related("user")
             .filter(digest=api_token_digest(key)).first())
    if token is None or not token.user.is_active:
        return None
    api_token_used(token)
    return token


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>`. A key that does not work is a 401, never a silent anonymous request."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as: Authorization: Token <token>."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("That token does not work.")) from None
        token = live_token(key)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("That token does not work: it may have expired or been revoked. Make a new one on the "
                  "\"Your API tokens\" page."))
        return token.user, token

    def authenticate_header(self, request):
        return KEYWORD


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """What the OpenAPI schema says about signing in with a token."""

    target_class = "incidents.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`. Make a token on the \"Your API tokens\" page (`/me/api-tokens/`) or "
                           "with `POST /api/auth/token/`. Tokens expire (90 days at most by default), and end "
                           "when they are revoked, when your password changes or when your account is deactivated.",
        }


class PasswordChangeEndsTokens:
    """A password "validator" that validates nothing. Django calls every validator's `password_changed()`
    after a password is set and saved, by any route (the admin site's form, `manage.py changepassword`,
    a password form, a shell), but not when it only re-hashes the same password on sign-in: exactly the
    moment a person's API tokens must end. Making the password unusable (password sign-in turned off)
    is told here too (User.set_unusable_password)."""

    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is not None and user.pk is not None:
            api_tokens_end(person=user, reason=TokenEnd.PASSWORD_CHANGED)

    def get_help_text(self) -> str:
        return "Changing your password ends every API token you have made."
