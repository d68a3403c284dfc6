"""The words a policy is written in: who qualifies (grants, combined into rules) and from which states
(transitions). incidents/rules.py binds them to a model as a `Policy`.

A *rule* says who qualifies. It is one or more *grants*, any of which will do; every condition in a grant
must hold:

    member(Role.LEAD, Role.TACTICAL_LEAD)   an active member of the incident, in one of these roles
    ANY_MEMBER                              an active member of the incident, in any role
    org(OrgRole.COMMS_OFFICER)              holds this organisation role
    UNRESTRICTED                            only while the incident is not restricted
    person("author")                        is the person the object's field names ("the author",
                                            "the person themself"); a path of foreign keys will do
                                            ("affected__person__line_manager")
    where(request__isnull=True)             only objects like this (exact values and __isnull)
    ADMIN_SITE                              the admin site, operated by a system administrator
    WORKER                                  Harbour's own background worker, when something falls due

Grants combine with `&` (all of them) and `|` (any of them). A *transition* says from which states an
action may be taken and which state it leads to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ImproperlyConfigured

from people.models import OrgRole

from .models import MemberRole

ActorKind = Literal["person", "admin_site", "worker"]


# --- who: grants and rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One way to qualify. Every condition given must hold."""

    member_roles: frozenset[str] | None = None  # None: membership is not needed
    org_role: str | None = None
    unrestricted: bool = False
    person: str | None = None  # the object's field (or property) naming the person(s)
    actor: ActorKind | None = "person"  # None: a condition only (`where`), for whichever actor it joins
    # Conditions on the object itself, as (lookup, value): `request__isnull` True, `kind` "x" (see `where`).
    where: frozenset[tuple[str, Any]] = frozenset()

    def __and__(self, other: Grant | Rule) -> Grant | Rule:
        if isinstance(other, Rule):
            return Rule(tuple(self & grant for grant in other.grants))
        if self.actor and other.actor and self.actor != other.actor:
            raise ImproperlyConfigured("A grant cannot be for two kinds of actor at once.")
        for name in ("org_role", "person"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine and theirs and mine != theirs:
                raise ImproperlyConfigured(f"A grant cannot need two different {name} values.")
        roles = self.member_roles if other.member_roles is None else (
            other.member_roles if self.member_roles is None else self.member_roles & other.member_roles)
        return Grant(roles, self.org_role or other.org_role, self.unrestricted or other.unrestricted,
                     self.person or other.person, self.actor or other.actor, self.where | other.where)

    def __or__(self, other: Grant | Rule) -> Rule:
        return Rule((self,)) | other


@dataclass(frozen=True)
class Rule:
    """Any of these grants will do."""

    grants: tuple[Grant, ...]

    def __or__(self, other: Grant | Rule) -> Rule:
        return Rule(self.grants + (other.grants if isinstance(other, Rule) else (other,)))

    def __and__(self, other: Grant | Rule) -> Rule:
        theirs = other.grants if isinstance(other, Rule) else (other,)
        return Rule(tuple(mine & their for mine in self.grants for their in theirs))


def as_rule(who: Grant | Rule) -> Rule:
    return who if isinstance(who, Rule) else Rule((who,))


def member(*roles: str) -> Grant:
    unknown = [r for r in roles if r not in MemberRole.values]
    if not roles or unknown:
        raise ImproperlyConfigured(f"Unknown incident role(s): {unknown or 'none given'}.")
    return Grant(member_roles=frozenset(roles))


def org(role: str) -> Grant:
    if role not in OrgRole.values:
        raise ImproperlyConfigured(f"Unknown organisation role: {role!r}.")
    return Grant(org_role=role)


def person(field_name: str) -> Grant:
    return Grant(person=field_name)


def where(**conditions: Any) -> Grant:
    """Only objects like this: `where(request__isnull=True)`, `where(kind="check_in")`. Exact values and
    `__isnull` only, so the same condition reads the same in Python (`check`) and in SQL (`restrict`).
    Combined with `&`, for any kind of actor (`ADMIN_SITE & where(...)`)."""
    for lookup in conditions:
        if "__" in lookup.removesuffix("__isnull"):
            raise ImproperlyConfigured(f"where(): {lookup!r} must be a field of the object, or field__isnull.")
    return Grant(actor=None, where=frozenset(conditions.items()))


def meets(obj: Any, conditions: frozenset[tuple[str, Any]]) -> bool:
    for lookup, expected in conditions:
        if lookup.endswith("__isnull"):
            name = lookup.removesuffix("__isnull")
            concrete = f"{name}_id"
            value = getattr(obj, concrete) if hasattr(type(obj), concrete) else getattr(obj, name)
            if (value is None) != bool(expected):
                return False
        else:
            concrete = f"{lookup}_id"  # a foreign key is compared by its id, as SQL compares it
            value = getattr(obj, concrete) if hasattr(type(obj), concrete) else getattr(obj, lookup)
            if value != (expected.pk if hasattr(expected, "pk") else expected):
                return False
    return True


ANY_MEMBER = member(*MemberRole.values)
UNRESTRICTED = Grant(unrestricted=True)
ADMIN_SITE = Grant(actor="admin_site")
WORKER = Grant(actor="worker")
NOBODY = Rule(())


# --- in which states -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """From which states an action may be taken, and the state it leads to (None: the state stays).

    `refusal` is the sentence a person reads when the state refuses: `{state}` is the current state and
    `{next}` the states it can move to from there, in words."""

    sources: frozenset[str]
    target: str | None
    code: str
    refusal: str

    def __init__(self, sources: Iterable[str], target: str | None, *, code: str, refusal: str):
        object.__setattr__(self, "sources", frozenset(sources))
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "refusal", refusal)
