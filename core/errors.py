"""The errors services raise. Interfaces translate them: pages into error summaries, the API into
400/403/404/409 responses, sockets into close codes. Services never return half-done work."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied  # noqa: F401  (re-exported: 403 everywhere)
from django.http import Http404  # noqa: F401  (re-exported: 404 everywhere)


class HarbourError(Exception):
    pass


class InvalidInput(HarbourError):
    """Bad input: a 400 with a message per field. `errors` maps field name (or "non_field_errors") to messages."""

    def __init__(self, errors: dict[str, list[str] | str]):
        self.errors = {field: [msgs] if isinstance(msgs, str) else list(msgs) for field, msgs in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class Conflict(HarbourError):
    """The request is well formed but the current state refuses it (HTTP 409): a transition not allowed
    from here, removing the last lead, approving a stale version. `code` is machine-readable."""

    def __init__(self, detail: str, code: str = "conflict", **extra):
        self.detail = detail
        self.code = code
        self.extra = extra
        super().__init__(detail)


class GateRefused(Conflict):
    """A release gate said no (HTTP 409 with {"gate": code, "detail": sentence})."""

    def __init__(self, gate: str, detail: str):
        self.gate = gate
        super().__init__(detail, code=gate)
