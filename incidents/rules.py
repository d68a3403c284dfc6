"""How a wing's policy is bound to its model: who may take each action, and from which states, as data.

A policy is written in the words of incidents/grants.py (grants and rules for who; transitions for from
which states). A `Policy` binds the rules and transitions of one model, and everything else is derived
from it: `check` (the guard every service calls), `restrict` (the queryset filter every list, board and
socket uses), `fetch` (the getter: "not found" when the person may not see it, 403 when they may see it
but not do this, 409 when its state refuses), and `allowed_actions` (what a page or serializer offers).
This module also holds who acts (a person, the admin site, the worker) and what a check remembers about
a person while it runs (their memberships, the API token a socket acts through).

A role, action, state or field that does not exist fails when the policy module is imported, never
at run time.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet

from core.errors import Conflict, Http404, PermissionDenied
from people.models import User

from .grants import ActorKind, Grant, Rule, Transition, as_rule, meets
from .models import ApiToken, Incident, Membership

# --- actors ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminSite:
    """The admin site as an actor. A system administrator working there is not a member of incidents,
    so the admin has rules of its own in each policy (ADMIN_SITE), rather than a way round them. What
    they change is still audited and told on the timeline in their name."""

    user: User


Actor = User | AdminSite | None  # None: Harbour's own worker


def person_of(actor: Actor) -> User | None:
    """The person to name in history and on the timeline."""
    return actor.user if isinstance(actor, AdminSite) else actor


def _kind_of(actor: Actor) -> ActorKind:
    if actor is None:
        return "worker"
    return "admin_site" if isinstance(actor, AdminSite) else "person"


def _active(actor: Actor) -> bool:
    user = person_of(actor)
    if user is None:
        return True  # the worker
    if isinstance(actor, AdminSite):
        return user.is_active and user.is_staff
    return bool(user.is_authenticated and user.is_active)


# --- reading an object -----------------------------------------------------------------------------------


_membership_epoch = 0  # moves on whenever this process changes a membership


def memberships_changed() -> None:
    """Called by the services that add, change or remove a membership, so no cached answer outlives it."""
    global _membership_epoch
    _membership_epoch += 1


def membership_of(user: User, incident: Incident) -> Membership | None:
    """The person's active membership of the incident, cached on the person for the request (a list of
    messages holds a separate copy of its incident per row; the person is the same)."""
    if not user or not user.is_authenticated or incident is None or incident.pk is None:
        return None
    cache = _memberships_cache(user)
    if incident.pk not in cache:
        cache[incident.pk] = incident.memberships.active().filter(user=user).first()
    return cache[incident.pk]


def _memberships_cache(user: User) -> dict:
    cache = user.__dict__.get("_memberships")
    if cache is None or cache.get("epoch") != _membership_epoch:
        cache = user.__dict__["_memberships"] = {"epoch": _membership_epoch}
    return cache


def known_members(incident: Incident) -> list[User]:
    """The incident's active members, each with their membership of it and their organisation roles
    already read (two queries in all), for asking the policy what each of them may do."""
    users = []
    for membership in incident.memberships.active().select_related("user").prefetch_related("user__groups"):
        user = membership.user
        _memberships_cache(user)[incident.pk] = membership
        user.__dict__["_org_roles"] = {group.name for group in user.groups.all()}
        users.append(user)
    return users


def prime_memberships(user: User, incidents: Iterable[Incident]) -> None:
    """Read the person's memberships of a page of incidents in one query, for the checks that follow."""
    if not user or not user.is_authenticated:
        return
    wanted = {i.pk for i in incidents if i is not None and i.pk is not None}
    cache = _memberships_cache(user)
    found = {m.incident_id: m for m in Membership.objects.active().filter(user=user, incident_id__in=wanted)}
    for pk in wanted - cache.keys():
        cache[pk] = found.get(pk)


def prime_members(incident: Incident, people: Iterable[User]) -> None:
    """Read many people's memberships of one incident in one query (its members, who are few), for the
    checks that follow: everyone a briefing of it went to, each asked whether they may know of it."""
    if incident is None or incident.pk is None:
        return
    found = {m.user_id: m for m in Membership.objects.active().filter(incident=incident)}
    for user in people:
        if user is not None and user.pk:
            _memberships_cache(user)[incident.pk] = found.get(user.pk)


def forget_memberships(user: User | None) -> None:
    """Drop the person's cached memberships: the next check reads them afresh."""
    if user is not None:
        user.__dict__.pop("_memberships", None)


def forget(user: User) -> None:
    """Drop what was cached about the person: a long-lived socket re-reads it before each check, as
    their roles, memberships or account may have changed since. A socket opened with an API token acts
    for its person only while the token works: once it has ended, the person counts as inactive here,
    so every check refuses and the socket closes as it would for a deactivated account."""
    if user is not None and user.pk:
        user.refresh_from_db(fields=["is_active"])
        user.__dict__.pop("_org_roles", None)
        user.__dict__.pop("_memberships", None)
        token_id = user.__dict__.get("_api_token")
        if token_id is not None and not ApiToken.objects.live().filter(pk=token_id, user=user).exists():
            user.is_active = False


def opened_with(user: User, token: ApiToken) -> User:
    """Mark the person of a socket as acting through this token (see `forget` and `token_of`)."""
    user.__dict__["_api_token"] = token.pk
    user.__dict__["_api_token_expires_at"] = token.expires_at
    return user


def token_of(user: User | None) -> tuple[int, Any] | None:
    """(id, expires_at) of the API token a socket's person acts through; None for a browser's session."""
    if user is None or user.__dict__.get("_api_token") is None:
        return None
    return user.__dict__["_api_token"], user.__dict__["_api_token_expires_at"]


def token_works(token_id: int) -> bool:
    return ApiToken.objects.live().filter(pk=token_id).exists()


def _person_ids(obj: Any, name: str) -> set[int]:
    """The ids of the people a field or property of the object names (a path like
    `affected__person__line_manager` is followed, and names nobody where it runs out)."""
    *through, name = name.split("__")
    for at, part in enumerate(through):
        obj = getattr(obj, part)
        if obj is None:
            return set()
        if hasattr(obj, "all"):  # the other side of a foreign key: everyone named along each of them
            rest = "__".join([*through[at + 1:], name])
            return set().union(*(_person_ids(each, rest) for each in obj.all()))
    concrete = f"{name}_id"
    if hasattr(type(obj), concrete) or concrete in obj.__dict__:
        value = getattr(obj, concrete)
        return {value} if value is not None else set()
    value = getattr(obj, name)
    if isinstance(value, User):
        return {value.pk}
    if isinstance(value, int):
        return {value}
    return set(value or ())


MAX_ID = 2**63 - 1  # the largest primary key a database column holds


def parse_id(value: Any) -> int | None:
    """A primary key from user input, or None if it cannot be one (not a number, or out of range)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_ID else None


# --- the policy of one model -----------------------------------------------------------------------------


@dataclass
class Policy:
    """The rules of one model. `visibility` names the action whose rule decides whether the object
    exists for a person at all; `incident` is the path from the model to its incident (None for the
    incident itself)."""

    model: type[models.Model]
    rules: Mapping[StrEnum, Grant | Rule]
    refusals: Mapping[StrEnum, str]
    visibility: StrEnum
    not_found: str
    incident: str | None = "incident"
    transitions: Mapping[StrEnum, Transition | tuple[Transition, ...]] = field(default_factory=dict)
    never: Mapping[StrEnum, tuple[Grant | Rule, str]] = field(default_factory=dict)
    state_field: str = "status"
    unbound: frozenset[StrEnum] = frozenset()  # actions that create one, rather than act on one

    def __post_init__(self) -> None:
        self.rules = {action: as_rule(who) for action, who in self.rules.items()}
        self.transitions = {a: (t if isinstance(t, tuple) else (t,)) for a, t in self.transitions.items()}
        self.never = {a: (as_rule(who), sentence) for a, (who, sentence) in self.never.items()}
        self._validate()

    def add_actions(self, rules: Mapping[StrEnum, Grant | Rule], refusals: Mapping[StrEnum, str]) -> None:
        """A wing's own actions on this policy's objects (on the incident itself, say), declared in the wing's
        policy: offered, checked and restricted exactly as the policy's own are, so an incident's
        `allowed_actions` names them too. An action already here is a mistake."""
        taken = sorted(str(action) for action in rules if action in self.rules)
        if taken:
            raise ImproperlyConfigured(f"{self.model.__name__} policy: {taken} already have a rule.")
        self.rules = {**self.rules, **{action: as_rule(who) for action, who in rules.items()}}
        self.refusals = {**self.refusals, **refusals}
        self._validate()

    # The checks a newcomer's typo would otherwise meet at run time.
    def _validate(self) -> None:
        name = self.model.__name__
        if self.visibility not in self.rules:
            raise ImproperlyConfigured(f"{name} policy: no rule for its visibility action {self.visibility!r}.")
        for table in (self.refusals, self.transitions, self.never):
            stray = [a for a in table if a not in self.rules]
            if stray:
                raise ImproperlyConfigured(f"{name} policy: {stray} have no rule of who may take them.")
        unexplained = [a for a, rule in self.rules.items()
                       if a != self.visibility and a not in self.refusals
                       and any(g.actor == "person" for g in rule.grants)]
        if unexplained:
            raise ImproperlyConfigured(f"{name} policy: say why {unexplained} are refused.")
        if self.transitions:
            states = {value for value, _ in self.model._meta.get_field(self.state_field).choices}
            for action, moves in self.transitions.items():
                for move in moves:
                    bad = (move.sources | {move.target}) - states - {None}
                    if bad:
                        raise ImproperlyConfigured(f"{name} policy: {action} names unknown states {sorted(bad)}.")
        if self.incident is not None:
            self._follow(self.incident)
        # A rule's person must be a foreign key, so `restrict` can filter by it; a never-rule, only checked
        # on one object, may name a property (the authors of the current version, say).
        for rule in self.rules.values():
            for grant in rule.grants:
                if grant.person and not self._is_foreign_key(grant.person):
                    raise ImproperlyConfigured(f"{name} policy: {grant.person!r} is not a foreign key of {name}.")
            for grant in rule.grants:
                for lookup, _ in grant.where:
                    try:
                        field = self.model._meta.get_field(lookup.removesuffix("__isnull"))
                    except FieldDoesNotExist:
                        field = None
                    if field is None or not field.concrete:
                        raise ImproperlyConfigured(f"{name} policy: where({lookup}=…) names no field of {name}.")
        for rule, _ in self.never.values():
            for grant in rule.grants:
                if grant.person and not hasattr(self.model, grant.person):
                    raise ImproperlyConfigured(f"{name} policy: {name} has no field {grant.person!r}.")

    def _is_foreign_key(self, path: str) -> bool:
        """Does the path (a field, or fields joined by `__`, like `affected__person__line_manager`) end
        in a foreign key to a person, through foreign keys only?"""
        model, field = self.model, None
        for part in path.split("__"):
            if field is not None:
                model = field.related_model
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                return False
            if field.one_to_many and field.auto_created:  # the other side of a foreign key: "invitees"
                # Followed by name in Python and in SQL alike, so it needs a related_name, and must lead on.
                if field.get_accessor_name() != part or part == path.split("__")[-1]:
                    return False
                continue
            if not (field.many_to_one or field.one_to_one) or not field.concrete:
                return False
        return bool(field is not None and field.related_model is User)

    def _follow(self, path: str) -> None:
        model = self.model
        for part in path.split("__"):
            try:
                model = model._meta.get_field(part).related_model
            except FieldDoesNotExist:
                raise ImproperlyConfigured(f"{self.model.__name__} policy: no path {path!r} to the incident.") from None
        if model is not Incident:
            raise ImproperlyConfigured(f"{self.model.__name__} policy: {path!r} does not lead to an incident.")

    # --- one object ---

    def incident_of(self, obj: Any) -> Incident | None:
        if obj is None or self.incident is None:
            return obj
        for part in self.incident.split("__"):
            obj = getattr(obj, part)
        return obj

    def _holds(self, grant: Grant, actor: Actor, obj: Any) -> bool:
        if grant.actor != _kind_of(actor) or not _active(actor):
            return False
        if grant.where and (obj is None or not meets(obj, grant.where)):
            return False
        if grant.actor != "person":
            return True
        if grant.org_role and not actor.has_org_role(grant.org_role):
            return False
        if grant.member_roles is not None or grant.unrestricted:
            incident = self.incident_of(obj)
            if incident is None:
                return False
            if grant.unrestricted and incident.restricted:
                return False
            if grant.member_roles is not None:
                membership = membership_of(actor, incident)
                if membership is None or membership.role not in grant.member_roles:
                    return False
        if grant.person and (obj is None or actor.pk not in _person_ids(obj, grant.person)):
            return False
        return True

    def qualifies(self, actor: Actor, who: Grant | Rule, obj: Any = None) -> bool:
        """Does the actor qualify under this rule (or a named part of the policy, like COMMAND)?"""
        return any(self._holds(grant, actor, obj) for grant in as_rule(who).grants)

    def _state(self, obj: Any) -> str:
        return getattr(obj, self.state_field)

    def _move(self, action: StrEnum, obj: Any, to: str | None = None) -> Transition | None:
        """The transition the action takes from the object's current state (to `to`, if given)."""
        for move in self.transitions.get(action, ()):
            if self._state(obj) in move.sources and (to is None or move.target == to):
                return move
        return None

    def target(self, action: StrEnum) -> str:
        """The state an action of one transition leads to."""
        (move,) = self.transitions[action]
        return move.target

    def targets(self, action: StrEnum, obj: Any) -> list[str]:
        """The states the action can lead to from here."""
        return [m.target for m in self.transitions.get(action, ()) if self._state(obj) in m.sources]

    def state_allows(self, action: StrEnum, obj: Any, to: str | None = None) -> bool:
        return action not in self.transitions or self._move(action, obj, to) is not None

    def allows(self, actor: Actor, action: StrEnum, obj: Any = None, *, to: str | None = None) -> bool:
        if not self.qualifies(actor, self.rules[action], obj):
            return False
        if action in self.never and self.qualifies(actor, self.never[action][0], obj):
            return False
        return obj is None or self.state_allows(action, obj, to)

    def refused_by_never(self, actor: Actor, action: StrEnum, obj: Any) -> bool:
        """Would the action be the actor's, from this state, but for its never-rule (their own draft)?"""
        return (action in self.never and self.qualifies(actor, self.rules[action], obj)
                and self.state_allows(action, obj) and self.qualifies(actor, self.never[action][0], obj))

    def allowed_actions(self, actor: Actor, obj: Any) -> frozenset[StrEnum]:
        """What the person may do with the object now: what a page offers and a serializer shows."""
        if not self.qualifies(actor, self.rules[self.visibility], obj):
            return frozenset()
        return frozenset(action for action in self.rules
                         if action not in self.unbound and self.allows(actor, action, obj))

    def check(self, actor: Actor, action: StrEnum, obj: Any = None, *, to: str | None = None,
              state: bool = True) -> None:
        """The guard. 404 when the object does not exist for the person, 403 with the policy's sentence
        when it does but the action is not theirs, 409 when its state refuses."""
        # The worker acts on what it finds due; it is not a person who could be shown "not found".
        if obj is not None and actor is not None and not self.qualifies(actor, self.rules[self.visibility], obj):
            raise Http404(self.not_found)
        if not self.qualifies(actor, self.rules[action], obj):
            raise PermissionDenied(self.refusals.get(action, "You cannot do that."))
        if action in self.never and self.qualifies(actor, self.never[action][0], obj):
            raise PermissionDenied(self.never[action][1])
        if state and obj is not None and not self.state_allows(action, obj, to):
            raise self.state_refusal(action, obj)

    def state_refusal(self, action: StrEnum, obj: Any) -> Conflict:
        moves = self.transitions[action]
        labels = dict(self.model._meta.get_field(self.state_field).choices)
        onward = [labels[t].lower() for t in self.targets(action, obj)]
        return Conflict(moves[0].refusal.format(state=labels[self._state(obj)].lower(), next=" or ".join(onward)),
                        code=moves[0].code)

    # --- many objects ---

    def _grant_q(self, grant: Grant, actor: Actor) -> Q | None:
        if grant.actor != _kind_of(actor) or not _active(actor):
            return None
        if grant.actor != "person":
            return Q(**dict(grant.where))
        if grant.org_role and not actor.has_org_role(grant.org_role):
            return None
        q = Q()
        if grant.member_roles is not None:
            # EXISTS rather than a join: no duplicates to remove, and the row can still be locked.
            q &= Q(Exists(Membership.objects.filter(
                incident=OuterRef(self.incident or "pk"), user=actor, removed_at__isnull=True,
                role__in=sorted(grant.member_roles))))
        if grant.unrestricted:
            q &= Q(**{f"{self.incident}__restricted" if self.incident else "restricted": False})
        if grant.person:
            q &= self._person_q(grant.person, actor)
        if grant.where:
            q &= Q(**dict(grant.where))
        return q

    def _person_q(self, path: str, actor: Actor) -> Q:
        """The person named along the path is the actor. Through the other side of a foreign key
        (`invitees__person`) it is an EXISTS, so a list has no duplicate rows whatever else it is ORed with."""
        model = self.model
        parts = path.split("__")
        for at, part in enumerate(parts):
            field = model._meta.get_field(part)
            if field.one_to_many and field.auto_created:
                related = field.related_model.objects.filter(**{
                    field.field.name: OuterRef("__".join(parts[:at]) if at else "pk"),
                    "__".join(parts[at + 1:]): actor})
                return Q(Exists(related))
            model = field.related_model
        return Q(**{path: actor})

    def restrict(self, actor: Actor, action: StrEnum | Grant | Rule, queryset: QuerySet | None = None) -> QuerySet:
        """The objects the actor may take this action on: who may, not whether the state allows it now nor
        the never-rules (the approvals board lists your own drafts, which you may not approve). A named
        part of the policy (APPROVERS, say) may stand for the action."""
        queryset = self.model._default_manager.all() if queryset is None else queryset
        rule = as_rule(action) if isinstance(action, Grant | Rule) else self.rules[action]
        clauses = [q for q in (self._grant_q(g, actor) for g in rule.grants) if q is not None]
        if not clauses:
            return queryset.none()
        if any(not clause for clause in clauses):  # a grant with no condition left: every row
            return queryset
        return queryset.filter(functools.reduce(operator.or_, clauses))

    def fetch(self, actor: Actor, action: StrEnum, pk: Any, queryset: QuerySet | None = None, *,
              state: bool = True, to: str | None = None) -> Any:
        """The getter: the object if the actor may take the action on it. Found through `restrict`, so
        an object hidden from the person is "not found" exactly as one that does not exist."""
        pk = parse_id(pk)
        found = None
        if pk is not None:
            found = self.restrict(actor, self.visibility, queryset).filter(pk=pk).first()
        if found is None:
            raise Http404(self.not_found)
        if queryset is not None and queryset.query.select_for_update:
            # The row is ours now, but memberships read before the lock (an earlier look at the page in
            # this request, or this statement's own snapshot) may have changed while we waited: read them
            # again, so someone removed meanwhile is refused.
            forget_memberships(person_of(actor))
            if actor is not None and not self.qualifies(actor, self.rules[self.visibility], found):
                raise Http404(self.not_found)
        self.check(actor, action, found, state=state, to=to)
        return found
