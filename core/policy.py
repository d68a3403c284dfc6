"""How a wing's policy is bound to its model: who may take each action, and from which states, as data.

A policy is written in the words of core/grants.py (grants and rules for who; transitions for from
which states). A `Policy` binds the rules and transitions of one model, and everything else is derived
from it: `check` (the guard every service calls), `restrict` (the queryset filter every list, board and
socket uses), `holders` (the people who may take an action on one object: whoever is told of it), `fetch`
(the getter: "not found" when the person may not see it, 403 when they may see it but not do this, 409
when its state refuses), and `allowed_actions` (what a page or serializer offers).
Who acts (a person, the admin site, the worker) and what a check remembers about a person while it runs
(their memberships, the API token a socket acts through) are in core/actors.py, with what the spine
declares a membership of an incident to be.

A role, action, state or field that does not exist fails when the policy module is imported, never
at run time.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet

from .actors import (
    Actor,
    forget_memberships,
    is_active,
    kind_of,
    membership,
    membership_of,
    person_of,
)
from .errors import Conflict, Http404, PermissionDenied
from .grants import Grant, Rule, Transition, as_rule, meets

# --- reading an object -----------------------------------------------------------------------------------


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
    if isinstance(value, get_user_model()):
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
    told: frozenset[StrEnum] = frozenset()  # who is told of it (`holders`), not something anyone does

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
                if grant.person and not (hasattr(self.model, grant.person) or self._is_foreign_key(grant.person)):
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
        return bool(field is not None and field.related_model is get_user_model())

    def _follow(self, path: str) -> None:
        model = self.model
        for part in path.split("__"):
            try:
                model = model._meta.get_field(part).related_model
            except FieldDoesNotExist:
                raise ImproperlyConfigured(f"{self.model.__name__} policy: no path {path!r} to the incident.") from None
        if model is not membership().incident_model:
            raise ImproperlyConfigured(f"{self.model.__name__} policy: {path!r} does not lead to an incident.")

    # --- one object ---

    def incident_of(self, obj: Any) -> Any:
        if obj is None or self.incident is None:
            return obj
        for part in self.incident.split("__"):
            obj = getattr(obj, part)
        return obj

    def _holds(self, grant: Grant, actor: Actor, obj: Any) -> bool:
        if grant.actor != kind_of(actor) or not is_active(actor):
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
            terms = membership()
            if grant.unrestricted and getattr(incident, terms.restricted):
                return False
            if grant.member_roles is not None:
                held = membership_of(actor, incident)
                if held is None or getattr(held, terms.role) not in grant.member_roles:
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
                         if action not in self.unbound | self.told and self.allows(actor, action, obj))

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
        if grant.actor != kind_of(actor) or not is_active(actor):
            return None
        if grant.actor != "person":
            return Q(**dict(grant.where))
        if grant.org_role and not actor.has_org_role(grant.org_role):
            return None
        q, terms = Q(), membership()
        if grant.member_roles is not None:
            # EXISTS rather than a join: no duplicates to remove, and the row can still be locked.
            q &= Q(Exists(terms.model._default_manager.filter(**{
                terms.incident: OuterRef(self.incident or "pk"), terms.person: actor, **terms.active,
                f"{terms.role}__in": sorted(grant.member_roles)})))
        if grant.unrestricted:
            q &= Q(**{f"{self.incident}__{terms.restricted}" if self.incident else terms.restricted: False})
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

    # --- many people ---

    def holders(self, action: StrEnum | Grant | Rule, obj: Any = None, *, state: bool = True) -> QuerySet:
        """The people who may take the action on the object: everyone for whom `check` would pass (they see
        the object, the action's rule is theirs, no never-rule refuses them, and its state allows it, unless
        `state=False`), as one query of people, built from the same grants. Who a reminder, a notice, an
        email or a live event goes to asks this, never a query of its own. A named part of the policy
        (COMMAND, say) may stand for the action: the people it names for the object, as `qualifies` answers
        one by one. Only people: the admin site and the worker hold grants of their own, but are told
        nothing."""
        people = get_user_model()._default_manager.filter(is_active=True)
        if isinstance(action, Grant | Rule):  # without an object, only what needs none (an organisation role)
            named = self._holders_q(as_rule(action), obj)
            return people.none() if named is None else people.filter(named)
        if obj is None and action not in self.unbound:
            raise ValueError(f"holders({action}) needs the object the action is taken on.")
        if obj is not None and state and not self.state_allows(action, obj):
            return people.none()
        who = self._holders_q(self.rules[action], obj)
        if who is not None and obj is not None and action != self.visibility:
            sees = self._holders_q(self.rules[self.visibility], obj)
            who = None if sees is None else who & sees
        if who is None:
            return people.none()
        if action in self.never:
            refused = self._holders_q(self.never[action][0], obj)
            if refused is not None:
                who &= ~refused
        return people.filter(who)

    def _holders_q(self, rule: Rule, obj: Any) -> Q | None:
        """The people one rule names for this object, as a filter of people (None: nobody)."""
        clauses = [q for q in (self._grant_holders_q(g, obj) for g in rule.grants) if q is not None]
        if not clauses:
            return None
        return functools.reduce(operator.or_, clauses)

    def _grant_holders_q(self, grant: Grant, obj: Any) -> Q | None:
        if grant.actor != "person":
            return None
        if grant.where and (obj is None or not meets(obj, grant.where)):
            return None
        q = Q(pk__isnull=False)  # every person: a grant with no condition left holds for all of them
        if grant.org_role:
            q &= Q(Exists(get_user_model().groups.through.objects.filter(
                user=OuterRef("pk"), group__name=grant.org_role)))
        if grant.member_roles is not None or grant.unrestricted:
            incident = self.incident_of(obj)
            if incident is None:
                return None
            terms = membership()
            if grant.unrestricted and getattr(incident, terms.restricted):
                return None
            if grant.member_roles is not None:
                q &= Q(Exists(terms.held(**{terms.incident: incident}).filter(**{
                    terms.person: OuterRef("pk"), f"{terms.role}__in": sorted(grant.member_roles)})))
        if grant.person:
            if obj is None:
                return None
            q &= Q(pk__in=sorted(_person_ids(obj, grant.person)))
        return q

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
