"""The organisation's people: who works here (User, their Team, their organisation roles) and the record of
failed sign-ins that sign-in throttling counts (people/signin.py).

These models were made in the spine (incidents/) and in config/ before people had an app of their own, so
their tables keep the names they were made with (`incidents_user`, `harbour_signinfailure`, …): moving
them changed no table (people/migrations/0001_initial.py).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.actors import declare_org_roles, holds_org_role
from core.text import one_line


class OrgRole(models.TextChoices):
    """Organisation roles. Each is a Django group of exactly this name (created by a data migration)."""

    SENIOR_LEADER = "senior_leader", "Senior leader"
    COMMS_OFFICER = "comms_officer", "Communications officer"
    MANAGER = "manager", "Manager"
    WELLBEING_LEAD = "wellbeing_lead", "Wellbeing lead"


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True, validators=[one_line])
    history = HistoricalRecords(table_name="incidents_historicalteam")

    class Meta:
        db_table = "incidents_team"  # made when people lived in the spine: the table kept its name
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. `full_name` is how people are shown everywhere; first/last names are unused."""

    full_name = models.CharField(max_length=200, validators=[one_line])
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    job_title = models.CharField(max_length=200, blank=True, validators=[one_line])
    line_manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports"
    )

    objects = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"], table_name="incidents_historicaluser")

    class Meta:
        db_table = "incidents_user"
        ordering = ["full_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def set_unusable_password(self) -> None:
        """No more signing in with a password (an administrator turned it off on the admin site, say). That
        is a password change like any other: Django tells the password validators after set_password()
        only, so this marks one too, and save() tells them (the spine's PasswordChangeEndsTokens
        ends the person's API tokens)."""
        super().set_unusable_password()
        self._password = ""  # no raw password to give them; None would mean "unchanged"

    def has_org_role(self, role: str) -> bool:
        # Cached per user object (by the policy engine, which reads and drops it): permission checks call
        # this several times per request.
        return holds_org_role(self, role)

    @property
    def is_senior_leader(self) -> bool:
        return self.has_org_role(OrgRole.SENIOR_LEADER)


class SignInFailure(models.Model):
    """One failed sign-in (a wrong password, or a username that does not exist), kept while it can still
    count against a limit (HARBOUR_SIGNIN_WINDOW_MINUTES) and deleted after. Attempts refused because
    signing in was paused are not failures: they tried no password."""

    at = models.DateTimeField(db_index=True)  # the prune: everything older than a day
    username = models.CharField(max_length=150)  # as typed (cut to a username's length): what was guessed at
    address = models.GenericIPAddressField(null=True)  # core/client_address.py
    # The id of the trusted device it came from (people/signin.py), or "" for any other device.
    device = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        db_table = "harbour_signinfailure"  # made when sign-in lived in config/ (app label "harbour")
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


# The organisation roles a policy may name (core/grants.py's `org(...)`): declared with the models, so they
# are known before any policy module can be imported, and a rule naming one that does not exist fails there.
declare_org_roles(OrgRole.values)
