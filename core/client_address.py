"""Who is on the other end: the client's address, worked out once, the same way for sign-in throttling and
anything else that needs it.

`X-Forwarded-For` is a list each proxy appends to: `client, proxy1, proxy2`, and the connection itself comes
from the last proxy. Everything to the left of what our own proxies wrote is whatever the client chose to
send, so it is worth nothing: daphne's `--proxy-headers` takes the *leftmost* entry, and a probe rotated it
to make thirty wrong passwords look like thirty people (and chose a colleague's address to lock them out).
Harbour therefore runs daphne without `--proxy-headers` and counts from the right: with
HARBOUR_TRUSTED_PROXIES = N, the last N hops (the socket's peer and the N-1 entries nearest it) are our
proxies, and the entry before them is the client. With N = 0, the default, the header is ignored entirely
and the socket's peer is the client.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger("harbour.security")

_warned = False


def _address(value: str) -> str | None:
    """An IP address as written in a forwarded header ("203.0.113.7", "2001:db8::1", "[2001:db8::1]:443",
    "203.0.113.7:5000"), normalised; None when it is not one."""
    value = value.strip().strip('"')
    if value.startswith("["):  # [v6]:port
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # v4:port
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The client's address for this request: the socket's peer, or, behind HARBOUR_TRUSTED_PROXIES proxies,
    the address the outermost of them saw. Used by django-axes (AXES_CLIENT_IP_CALLABLE) and people/signin.py."""
    global _warned
    meta = request.META
    peer = _address(meta.get("REMOTE_ADDR") or "") or meta.get("REMOTE_ADDR") or None
    hops = settings.HARBOUR_TRUSTED_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if hops == 0:
        if forwarded and not _warned:
            _warned = True
            logger.warning(
                "A request came with X-Forwarded-For, which Harbour ignores because HARBOUR_TRUSTED_PROXIES is 0: "
                "every client counts as coming from %s. Behind a proxy, set HARBOUR_TRUSTED_PROXIES to the number "
                "of proxies in front of Harbour.", peer)
        return peer
    # Several X-Forwarded-For headers arrive joined by commas, in order, as one list.
    chain = [entry for entry in forwarded.split(",") if entry.strip()] + [peer or ""]
    if len(chain) <= hops:
        # Fewer hops than the deployment has proxies: the request did not come through all of them. The
        # leftmost entry is still one a proxy of ours wrote (there is nothing further left for a client to
        # have written), or the peer itself.
        return _address(chain[0]) or peer
    # The entry our outermost proxy wrote. A proxy that writes something that is not an address is
    # misconfigured: count the request as the peer's, which throttles more, never less.
    return _address(chain[-(hops + 1)]) or peer
