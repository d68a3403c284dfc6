"""The platform's own records. Sign-in failures only: what config/signin.py counts."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class SignInFailure(models.Model):
    """One failed sign-in (a wrong password, or a username that does not exist), kept while it can still
    count against a limit (HARBOUR_SIGNIN_WINDOW_MINUTES) and deleted after. Attempts refused because
    signing in was paused are not failures: they tried no password."""

    at = models.DateTimeField(db_index=True)  # the prune: everything older than a day
    username = models.CharField(max_length=150)  # as typed (cut to a username's length): what was guessed at
    address = models.GenericIPAddressField(null=True)  # core/client_address.py
    # The id of the trusted device it came from (config/signin.py), or "" for any other device.
    device = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        indexes = [
            # The account limit: failures for one username in the window, newest first.
            models.Index(fields=["username", "at"], name="signin_failure_account"),
            # The address limit: failures from one address, any username.
            models.Index(fields=["address", "at"], name="signin_failure_address"),
            # A trusted device's own failures.
            models.Index(fields=["device", "at"], name="signin_failure_device", condition=~Q(device="")),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.address} at {self.at:%Y-%m-%d %H:%M}"
