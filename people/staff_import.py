"""Importing the staff directory from a CSV file.

The whole file is checked before anything is written; any bad row refuses the whole file, with every
problem listed by line number. Re-importing updates people (matched by username) and never removes anyone.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.text import DIRECTION_CONTROL, is_one_line, max_length

from .models import OrgRole, Team, User
from .signals import access_changed

COLUMNS = ["username", "email", "full_name", "team", "job_title", "line_manager", "roles"]
ROLE_NAMES = set(OrgRole.values)
# Each column's limit, read from the field it is saved in.
LIMITS = {
    "username": max_length(User, "username"), "email": max_length(User, "email"),
    "full_name": max_length(User, "full_name"), "job_title": max_length(User, "job_title"),
    "team": max_length(Team, "name"), "line_manager": max_length(User, "username"),
}


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    teams_created: list[str] = field(default_factory=list)


class StaffImportError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _validate(rows: list[tuple[int, dict[str, str]]]) -> list[str]:
    problems: list[str] = []
    seen: dict[str, tuple[int, str]] = {}  # by username in lower case: the line and the spelling used there
    usernames_in_file = {row["username"].strip() for _, row in rows if row.get("username")}
    known = set(User.objects.filter(username__in=[r.get("line_manager", "").strip() for _, r in rows]).values_list("username", flat=True))
    # Existing people whose username differs from one in the file only in case: importing would make a
    # second person who looks the same.
    existing = {u.lower(): u for u in User.objects.values_list("username", flat=True)}
    for line, row in rows:
        for column, value in row.items():
            if column in LIMITS and DIRECTION_CONTROL.search(value):
                problems.append(f"Line {line}: {column} has a character in it that changes the direction text "
                                "is shown in (such as a right-to-left override).")
            elif column in LIMITS and "\x00" not in value and not is_one_line(value):
                # A name is one line (it becomes an email's display name and a calendar's CN): a line break
                # or tab, quoted into the file, is refused as it would be typed into Harbour.
                problems.append(f"Line {line}: {column} has a line break, tab or other control character in it.")
            elif column in LIMITS and len(value.strip()) > LIMITS[column]:
                problems.append(f"Line {line}: {column} is longer than {LIMITS[column]} characters.")
        username = (row.get("username") or "").strip()
        if not username:
            problems.append(f"Line {line}: username is empty.")
        elif username.lower() in seen:
            first, spelling = seen[username.lower()]
            same = "is already used" if spelling == username else f"differs only in case from “{spelling}”"
            problems.append(f"Line {line}: username “{username}” {same} on line {first}.")
        elif existing.get(username.lower(), username) != username:
            problems.append(f"Line {line}: username “{username}” differs only in case from “{existing[username.lower()]}”,"
                            " who is already in Harbour. Use the same spelling to update them.")
        else:
            seen[username.lower()] = (line, username)
            try:
                User.username_validator(username)
            except ValidationError:
                problems.append(f"Line {line}: username “{username}” may only contain letters, digits and @/./+/-/_.")
        email = (row.get("email") or "").strip()
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"Line {line}: “{email}” is not a valid email address.")
        if not (row.get("full_name") or "").strip():
            problems.append(f"Line {line}: full_name is empty.")
        manager = (row.get("line_manager") or "").strip()
        if manager and manager not in usernames_in_file and manager not in known:
            problems.append(f"Line {line}: line manager “{manager}” is not in the file or in Harbour.")
        if manager and manager == username:
            problems.append(f"Line {line}: a person cannot be their own line manager.")
        for role in _roles(row):
            if role not in ROLE_NAMES:
                problems.append(
                    f"Line {line}: unknown role “{role}” (use {', '.join(sorted(ROLE_NAMES))}, separated by ;)."
                )
    return problems + _circles(rows)


def _circles(rows: list[tuple[int, dict[str, str]]]) -> list[str]:
    """Line managers must lead up to someone, not round in a circle (a → b → a), counting the people
    already in Harbour whose managers the file does not change."""
    in_file = {row["username"].strip(): (line, row.get("line_manager", "").strip()) for line, row in rows}
    outside: dict[str, str] = {}

    def manager_of(username: str) -> str:
        if username in in_file:
            return in_file[username][1]
        if username not in outside:
            found = User.objects.filter(username=username).values_list("line_manager__username", flat=True).first()
            outside[username] = found or ""
        return outside[username]

    problems, reported = [], set()
    for username, (line, _) in in_file.items():
        chain, current = [username], manager_of(username)
        while current and current not in chain and len(chain) <= len(in_file) + len(outside) + 1:
            chain.append(current)
            current = manager_of(current)
        if current == username and username not in reported:
            reported.update(chain)
            problems.append(f"Line {line}: line managers go round in a circle: {' → '.join([*chain, username])}.")
    return problems


def _roles(row: dict[str, str]) -> list[str]:
    return [r.strip() for r in (row.get("roles") or "").split(";") if r.strip()]


def import_staff(text: str) -> ImportResult:
    """Check every row, then write all of them in one transaction, or none."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise StaffImportError([f"Line 1: the header is missing column(s): {', '.join(missing)}. "
                                f"Expected: {','.join(COLUMNS)}."])
    rows: list[tuple[int, dict[str, str]]] = []
    shape_problems: list[str] = []
    for row in reader:
        if None in row:  # DictReader files surplus values under the key None
            shape_problems.append(f"Line {reader.line_num}: more values than the header has columns.")
        normalised = {k.strip(): v for k, v in row.items() if isinstance(k, str) and isinstance(v, str)}
        if not any(v.strip() for v in normalised.values()):
            continue  # blank lines are harmless
        rows.append((reader.line_num, normalised))
    if not rows:
        raise StaffImportError(["The file has a header but no people."])
    # Null bytes first: no database accepts them, so nothing is looked up until they are gone.
    nulls = [f"Line {line}: {column} contains a character that is not allowed (a null byte)."
             for line, row in rows for column, value in row.items() if "\x00" in value]
    if nulls:
        raise StaffImportError(shape_problems + nulls)
    problems = shape_problems + _validate(rows)
    if problems:
        raise StaffImportError(problems)

    result = ImportResult()
    groups = {g.name: g for g in Group.objects.filter(name__in=ROLE_NAMES)}
    with transaction.atomic():
        teams: dict[str, Team] = {}
        people: dict[str, User] = {}
        for _, row in rows:
            team_name = row["team"].strip()
            if team_name and team_name not in teams:
                teams[team_name], created = Team.objects.get_or_create(name=team_name)
                if created:
                    result.teams_created.append(team_name)
            username = row["username"].strip()
            user = User.objects.filter(username=username).first()
            is_new = user is None
            if is_new:
                user = User(username=username)
                user.set_unusable_password()  # people sign in once an administrator sets a password
            user.email = row["email"].strip()
            user.full_name = row["full_name"].strip()
            user.team = teams.get(team_name)
            user.job_title = row["job_title"].strip()
            user.save()
            people[username] = user
            (result.created if is_new else result.updated).append(username)
        for _, row in rows:
            user = people[row["username"].strip()]
            manager = row["line_manager"].strip()
            manager_user = (people.get(manager) or User.objects.get(username=manager)) if manager else None
            if user.line_manager_id != (manager_user.pk if manager_user else None):
                user.line_manager = manager_user
                user.save(update_fields=["line_manager"])
            before = set(user.groups.values_list("name", flat=True))
            user.groups.set([groups[r] for r in _roles(row)])
            if before - set(_roles(row)):  # a role taken away: their open pages re-check access
                access_changed.send(sender=User, person=user, by=None, door="import")
    return result
