"""Who acts, and what a check knows of them while it runs.

An actor is a person, the admin site (a system administrator working there) or Harbour's own worker
(None). A policy (core/policy.py) asks a person's organisation roles and their membership of an incident;
both are read once per person object and kept on it while a request, or one check of a socket, runs, and
dropped when they may have changed (`memberships_changed`, `forget`). A socket opened with an API token
remembers the token, and acts for its person only while the token works.

The ground floor knows no app, so what a membership is, which organisation roles there are and how a
token is checked are declared by the app that holds them, when its models are imported: before any
policy module can be, so a rule that names a role that does not exist still fails at import
(incidents/models.py and people/models.py):

    declare_membership(Membership, person="user", incident="incident", role="role",
                       active={"removed_at__isnull": True}, restricted="restricted")   # the spine
    declare_token_check(ApiToken.works)                                                 # the spine
    declare_org_roles(OrgRole.values)                                                   # people

The roles a rule may name (`member(...)`) are the choices of the membership's role field; the person is
settings.AUTH_USER_MODEL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet

ActorKind = Literal["person", "admin_site", "worker"]


# --- what the app that holds them declares ---------------------------------------------------------------


@dataclass(frozen=True)
class MembershipTerms:
    """What a membership of an incident is: its model, and which of its fields says what."""

    model: type[models.Model]
    person: str  # the field naming the member (a foreign key to the person)
    incident: str  # the field naming the incident
    role: str  # the field holding the member's role: its choices are the roles a rule may name
    active: Mapping[str, Any]  # the lookups of a membership still held ({"removed_at__isnull": True})
    restricted: str  # the incident's field that hides it from everyone outside it

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.model._meta.get_field(self.role).choices)

    @property
    def incident_model(self) -> type[models.Model]:
        return self.model._meta.get_field(self.incident).related_model

    def field(self, name: str) -> str:
        """The column attribute of one of its foreign keys (`user` → `user_id`)."""
        return self.model._meta.get_field(name).attname

    def held(self, **lookups: Any) -> QuerySet:
        """The memberships still held, like these."""
        return self.model._default_manager.filter(**lookups).filter(**self.active)


_declared: dict[str, Any] = {}


def _declare(what: str, value: Any) -> None:
    if _declared.get(what, value) != value:
        raise ImproperlyConfigured(f"{what} is declared twice, differently.")
    _declared[what] = value


def declare_membership(model: type[models.Model], *, person: str, incident: str, role: str,
                       active: Mapping[str, Any], restricted: str) -> None:
    """Say what a membership of an incident is (see this module's docstring). A field that does not exist
    fails here, when the models are imported."""
    try:
        for name in (person, incident, role):
            model._meta.get_field(name)
        if not model._meta.get_field(role).choices:
            raise ImproperlyConfigured(f"{model.__name__}.{role} has no choices: they are the roles a rule names.")
        incident_model = model._meta.get_field(incident).remote_field.model
        if isinstance(incident_model, type):  # a model named by a string is read when a policy asks
            incident_model._meta.get_field(restricted)
    except FieldDoesNotExist as missing:
        raise ImproperlyConfigured(f"declare_membership: {missing}") from None
    _declare("The membership of an incident", MembershipTerms(model, person, incident, role, dict(active), restricted))


def declare_org_roles(roles: Iterable[str]) -> None:
    """Say which organisation roles there are: each a Django group of exactly that name."""
    _declare("The organisation roles", frozenset(roles))


def declare_token_check(works: Callable[[int, Any], bool]) -> None:
    """Say how to know whether an API token still works: `works(token_id, person)`, for that person when
    one is named (None: whoever holds it)."""
    _declare("The API token check", works)


def _declaration(what: str) -> Any:
    try:
        return _declared[what]
    except KeyError:
        raise ImproperlyConfigured(
            f"{what} has not been declared (core/actors.py): the app that holds it declares it with its models.",
        ) from None


def membership() -> MembershipTerms:
    return _declaration("The membership of an incident")


def org_roles() -> frozenset[str]:
    return _declaration("The organisation roles")


def token_works(token_id: int, person: Any = None) -> bool:
    """Does the API token still work (for this person, if one is named)?"""
    return _declaration("The API token check")(token_id, person)


# --- actors ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminSite:
    """The admin site as an actor. A system administrator working there is not a member of incidents,
    so the admin has rules of its own in each policy (ADMIN_SITE), rather than a way round them. What
    they change is still audited and told on the timeline in their name."""

    user: AbstractBaseUser


Actor = AbstractBaseUser | AdminSite | None  # a person (settings.AUTH_USER_MODEL); None: Harbour's own worker


def person_of(actor: Actor) -> Any:
    """The person to name in history and on the timeline."""
    return actor.user if isinstance(actor, AdminSite) else actor


def kind_of(actor: Actor) -> ActorKind:
    if actor is None:
        return "worker"
    return "admin_site" if isinstance(actor, AdminSite) else "person"


def is_active(actor: Actor) -> bool:
    """May the actor act at all: the worker always, a person while their account is active, the admin site
    while its user is an active member of staff."""
    user = person_of(actor)
    if user is None:
        return True  # the worker
    if isinstance(actor, AdminSite):
        return user.is_active and user.is_staff
    return bool(user.is_authenticated and user.is_active)


# --- what a check remembers about a person ---------------------------------------------------------------


def holds_org_role(user: Any, role: str) -> bool:
    """Does the person hold this organisation role? Read once per person object, as a check asks several
    times a request. A policy asks the person (`user.has_org_role(role)`), and the person model answers
    with this: a request's user is a lazy stand-in for the person, and a cache kept on the stand-in would
    be read again on the person it stands for."""
    cache = user.__dict__.get("_org_roles")
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True)) if user.pk else set()
        user.__dict__["_org_roles"] = cache
    return role in cache


_membership_epoch = 0  # moves on whenever this process changes a membership


def memberships_changed() -> None:
    """Called by the services that add, change or remove a membership, so no cached answer outlives it."""
    global _membership_epoch
    _membership_epoch += 1


def membership_of(user: Any, incident: Any) -> Any:
    """The person's active membership of the incident (None if none), cached on the person for the request
    (a list of messages holds a separate copy of its incident per row; the person is the same)."""
    if not user or not user.is_authenticated or incident is None or incident.pk is None:
        return None
    cache = _memberships_cache(user)
    if incident.pk not in cache:
        terms = membership()
        cache[incident.pk] = terms.held(**{terms.incident: incident}).filter(**{terms.person: user}).first()
    return cache[incident.pk]


def _memberships_cache(user: Any) -> dict:
    cache = user.__dict__.get("_memberships")
    if cache is None or cache.get("epoch") != _membership_epoch:
        cache = user.__dict__["_memberships"] = {"epoch": _membership_epoch}
    return cache


def known_members(incident: Any) -> list[Any]:
    """The incident's active members, each with their membership of it and their organisation roles
    already read (two queries in all), for asking the policy what each of them may do."""
    terms = membership()
    users = []
    held = terms.held(**{terms.incident: incident}).select_related(terms.person)
    for held_by in held.prefetch_related(f"{terms.person}__groups"):
        user = getattr(held_by, terms.person)
        _memberships_cache(user)[incident.pk] = held_by
        user.__dict__["_org_roles"] = {group.name for group in user.groups.all()}
        users.append(user)
    return users


def prime_memberships(user: Any, incidents: Iterable[Any]) -> None:
    """Read the person's memberships of a page of incidents in one query, for the checks that follow."""
    if not user or not user.is_authenticated:
        return
    wanted = {i.pk for i in incidents if i is not None and i.pk is not None}
    cache = _memberships_cache(user)
    terms = membership()
    found = {getattr(m, terms.field(terms.incident)): m
             for m in terms.held().filter(**{terms.person: user, f"{terms.field(terms.incident)}__in": wanted})}
    for pk in wanted - cache.keys():
        cache[pk] = found.get(pk)


def prime_members(incident: Any, people: Iterable[Any]) -> None:
    """Read many people's memberships of one incident in one query (its members, who are few), for the
    checks that follow: everyone a briefing of it went to, each asked whether they may know of it."""
    if incident is None or incident.pk is None:
        return
    terms = membership()
    found = {getattr(m, terms.field(terms.person)): m for m in terms.held().filter(**{terms.incident: incident})}
    for user in people:
        if user is not None and user.pk:
            _memberships_cache(user)[incident.pk] = found.get(user.pk)


def forget_memberships(user: Any) -> None:
    """Drop the person's cached memberships: the next check reads them afresh."""
    if user is not None:
        user.__dict__.pop("_memberships", None)


def forget(user: Any) -> None:
    """Drop what was cached about the person: a long-lived socket re-reads it before each check, as
    their roles, memberships or account may have changed since. A socket opened with an API token acts
    for its person only while the token works: once it has ended, the person counts as inactive here,
    so every check refuses and the socket closes as it would for a deactivated account."""
    if user is not None and user.pk:
        user.refresh_from_db(fields=["is_active"])
        user.__dict__.pop("_org_roles", None)
        user.__dict__.pop("_memberships", None)
        token_id = user.__dict__.get("_api_token")
        if token_id is not None and not token_works(token_id, user):
            user.is_active = False


def opened_with(user: Any, token: Any) -> Any:
    """Mark the person of a socket as acting through this API token (see `forget` and `token_of`)."""
    user.__dict__["_api_token"] = token.pk
    user.__dict__["_api_token_expires_at"] = token.expires_at
    return user


def token_of(user: Any) -> tuple[int, Any] | None:
    """(id, expires_at) of the API token a socket's person acts through; None for a browser's session."""
    if user is None or user.__dict__.get("_api_token") is None:
        return None
    return user.__dict__["_api_token"], user.__dict__["_api_token_expires_at"]
