"""People move out of the spine (and sign-in failures out of config/) into people/, without touching a table.

A database made before the move holds every migration up to it as applied, Django's admin among them; the
admin's first migration names the user model's app as a dependency, which is people's first migration now.
Django's own `migrate` refuses such a history as inconsistent; Harbour's records people's first migration
(it changes no table) and goes on. Every person, team, grant, history row, admin log entry and sign-in
failure is then found through people/'s models, under the same ids."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.exceptions import InconsistentMigrationHistory
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from people.management.commands.migrate import record_the_move
from people.models import SignInFailure, Team, User

# What the move added: every one of them changes Django's record of the models only, or content types.
ADDED = [("people", "0001_initial"), ("people", "0002_sign_in_failures"), ("people", "0003_content_types"),
         ("harbour", "0002_sign_in_failures_move_out"), ("incidents", "0012_people_move_out"),
         ("clocks", "0002_people_move_out"), ("comms", "0012_people_move_out"), ("core", "0002_people_move_out"),
         ("support", "0010_people_move_out")]
HOMES = {"user": "incidents", "team": "incidents", "historicaluser": "incidents", "historicalteam": "incidents",
         "signinfailure": "harbour"}


def made_before_the_move() -> None:
    """Turn the test database into one the code before the move left: the same tables, the move's
    migrations not recorded, people's content types where the spine and config/ kept them."""
    recorder = MigrationRecorder(connection)
    for app, name in ADDED:
        recorder.record_unapplied(app, name)
    for model, home in HOMES.items():
        ContentType.objects.filter(app_label="people", model=model).update(app_label=home)
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_migrates_with_every_person_grant_and_log_entry(cast, incident):
    teams = Team.objects.create(name="Children's services north")
    cast.bob.team = teams
    cast.bob.line_manager = cast.alice
    cast.bob.save()
    keepers = Group.objects.create(name="people keepers")
    keepers.permissions.add(Permission.objects.get(content_type__app_label="people", codename="change_user"))
    cast.olive.groups.add(keepers)
    cast.olive.user_permissions.add(Permission.objects.get(content_type__app_label="people", codename="view_team"))
    user_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.create(user_id=cast.alice.pk, content_type=user_type, object_id=str(cast.bob.pk),
                            object_repr="Bob", action_flag=CHANGE, change_message="[]")
    SignInFailure.objects.create(at=timezone.now() - dt.timedelta(minutes=3), username="bob", address="192.0.2.7")
    people = {u.pk: (u.username, u.full_name, u.team_id, u.line_manager_id) for u in User.objects.all()}
    history = User.history.count(), Team.history.count()
    type_ids = {model: ContentType.objects.get(app_label="people", model=model).pk for model in HOMES}

    made_before_the_move()
    assert not ContentType.objects.filter(app_label="people").exists()
    with pytest.raises(InconsistentMigrationHistory):  # what Django's own migrate says of it
        MigrationLoader(connection).check_consistent_history(connection)

    call_command("migrate", verbosity=0)

    applied = MigrationRecorder(connection).applied_migrations()
    assert all(migration in applied for migration in ADDED)
    MigrationLoader(connection).check_consistent_history(connection)
    assert {u.pk: (u.username, u.full_name, u.team_id, u.line_manager_id) for u in User.objects.all()} == people
    assert (User.history.count(), Team.history.count()) == history
    assert User.objects.get(pk=cast.bob.pk).team.name == "Children's services north"
    # The same content types, renamed: grants are still held, and the log entry leads to the person's page.
    assert {model: ContentType.objects.get(app_label="people", model=model).pk for model in HOMES} == type_ids
    olive = User.objects.get(pk=cast.olive.pk)
    assert olive.has_perm("people.change_user") and olive.has_perm("people.view_team")
    entry = LogEntry.objects.get(object_id=str(cast.bob.pk), object_repr="Bob")
    assert entry.get_admin_url() == f"/admin/people/user/{cast.bob.pk}/change/"
    assert SignInFailure.objects.get(username="bob").address == "192.0.2.7"
    assert record_the_move() is False  # once: a database that has it is left alone


@pytest.mark.django_db(transaction=True)
def test_the_content_types_move_back_and_forth_and_grants_stay_held(cast):
    """Migrated back, people's content types are the spine's and config/'s again (Django then makes
    people's afresh, as it does for any installed model); forward, grants on either are held on one."""
    user_type = ContentType.objects.get_for_model(User).pk
    cast.olive.user_permissions.add(Permission.objects.get(content_type_id=user_type, codename="view_user"))
    call_command("migrate", "people", "0002", verbosity=0)
    ContentType.objects.clear_cache()
    assert ContentType.objects.get(pk=user_type).app_label == "incidents"
    assert ContentType.objects.filter(app_label="harbour", model="signinfailure").exists()
    call_command("migrate", verbosity=0)
    ContentType.objects.clear_cache()
    assert not ContentType.objects.filter(app_label__in=["incidents", "harbour"], model__in=HOMES).exists()
    assert ContentType.objects.filter(app_label="people", model="user").count() == 1
    assert User.objects.get(pk=cast.olive.pk).has_perm("people.view_user")


@pytest.mark.django_db(transaction=True)
def test_a_new_database_needs_no_help():
    """A database with nothing applied yet, or with the move recorded, is left to Django's migrate."""
    recorder = MigrationRecorder(connection)
    assert ("people", "0001_initial") in recorder.applied_migrations()
    assert record_the_move() is False


@pytest.mark.django_db(transaction=True)
def test_the_plan_of_a_database_from_before_the_move_can_be_read(cast, capsys):
    """An administrator looks before upgrading: `migrate --plan` shows what is left to do, where Django's own
    would stop at the inconsistent history. Recording people's first migration is all it writes."""
    made_before_the_move()
    try:
        call_command("migrate", plan=True)
        assert "people.0003_content_types" in capsys.readouterr().out.replace(" ", "")
        applied = MigrationRecorder(connection).applied_migrations()
        assert ("people", "0001_initial") in applied and ("people", "0003_content_types") not in applied
    finally:
        call_command("migrate", verbosity=0)
