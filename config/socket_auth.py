"""WebSocket authentication: browsers bring their session cookie; other clients send
`Authorization: Token <token>` on the handshake (the same tokens the REST API takes: incidents/authentication.py).
A socket opened with a token lives as long as the token: it closes when the token expires or ends
(core/live.py LiveSocket)."""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser

from core.actors import opened_with
from incidents.authentication import live_token


@database_sync_to_async
def _user_for_token(key: str):

    token = live_token(key)
    if token is None:
        return AnonymousUser()
    return opened_with(token.user, token)


class TokenAuthMiddleware:
    """Overrides the session user when a token header is present; a bad token means anonymous."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers") or [])
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() == "token":
            scope = dict(scope, user=await _user_for_token(key.strip()))
        return await self.inner(scope, receive, send)


def SessionOrTokenAuthMiddleware(inner):  # noqa: N802 - reads like the middleware classes it wraps
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))


_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _origin_parts(scheme: str, netloc: str) -> tuple[str, str, str]:
    """(scheme, host, port), with the scheme's default port filled in: "https://a" is "https://a:443"."""
    netloc = netloc.lower()
    if netloc.startswith("["):  # an IPv6 literal
        name, _, rest = netloc.partition("]")
        name, port = name + "]", rest.lstrip(":")
    else:
        name, _, port = netloc.partition(":")
    return scheme, name, port or _DEFAULT_PORTS.get(scheme, "")


def origin_allowed(scope) -> bool:
    """A socket is opened only by a page Harbour served: its Origin must be the scheme, host and port the
    request came to (behind a TLS proxy, the scheme the proxy says), or one of CSRF_TRUSTED_ORIGINS, and
    the host one Harbour answers to. Clients that send no Origin are refused (give one, as browsers do)."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.http.request import split_domain_port, validate_host

    headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
    origin, host = headers.get(b"origin"), headers.get(b"host")
    if not origin or not host:
        return False
    domain, _ = split_domain_port(host)
    # Exactly the hosts Django's request.get_host() accepts, so a page and its socket agree: ALLOWED_HOSTS
    # (127.0.0.1, localhost and [::1] unless configured), or, set empty while debugging, Django's own.
    allowed_hosts = settings.ALLOWED_HOSTS or ([".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    if not domain or not validate_host(domain, allowed_hosts):
        return False
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    # Behind a TLS proxy, trust what it says only where Django is told to (SECURE_PROXY_SSL_HEADER).
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        header, secure_value = proxy
        said = headers.get(header.lower().removeprefix("http_").replace("_", "-").encode(), "")
        scheme = "https" if said.split(",")[0].strip() == secure_value else scheme
    parsed = urlsplit(origin.strip().lower())
    if not parsed.scheme or not parsed.hostname:
        return False
    trusted = [urlsplit(o.strip().lower()) for o in settings.CSRF_TRUSTED_ORIGINS]
    candidates = {_origin_parts(scheme, host)} | {_origin_parts(t.scheme, t.netloc) for t in trusted}
    return _origin_parts(parsed.scheme, parsed.netloc) in candidates


class SameOriginValidator:
    """Refuses, at the handshake, a socket whose Origin is not Harbour's own (see origin_allowed)."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope.get("type") == "websocket" and not origin_allowed(scope):
            from channels.security.websocket import WebsocketDenier

            return await WebsocketDenier()(scope, receive, send)
        return await self.inner(scope, receive, send)
