"""The statutory clocks move out of the spine into their own wing (clocks migration 0001, incidents migration
0011) without touching a row: a database made before the move, holding the playbooks, an incident with its
obligations and a notification, their history, permissions granted on the clocks' models and an admin log
entry, is migrated forward; every row and history row is found through the clocks' models, each grant is
still held (now on `clocks.*`), the log entry leads to the page where the playbook is now, and a queued
run of the old reminder task is retired. Migrated back, everything is the spine's again."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clocks import services
from clocks.models import Notification, Obligation, Playbook, PlaybookObligation, PlaybookStep
from people.models import User

pytestmark = pytest.mark.migration

BEFORE = [("incidents", "0010_one_outbox_and_notices"), ("clocks", None)]
OLD_TASK = "incidents.tasks.obligation_remind"
MOVED = ("Playbook", "PlaybookObligation", "PlaybookStep", "Obligation", "Notification")


def migrate(targets):
    """Migrate to the targets; the models as they were there, every other app's as they are at its end."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    named = {app for app, _ in targets}
    ends = [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] not in named]
    return executor.loader.project_state([*ends, *(t for t in targets if t[1] is not None)]).apps


def counted(apps, app_label: str, incident_id: int) -> dict[str, tuple[int, int]]:
    """Each moved model's rows and history rows (of this incident, where the model has one)."""
    found = {}
    for name in MOVED:
        rows, history = apps.get_model(app_label, name), apps.get_model(app_label, f"Historical{name}")
        mine = {"incident_id": incident_id} if name in ("Obligation", "Notification") else {}
        found[name] = (rows.objects.filter(**mine).count(), history.objects.filter(**mine).count())
    return found


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_every_row_its_history_and_its_grants(cast, incident, client):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    services.notification_record(actor=cast.alice, incident_id=incident.pk, step="director", method="phone",
                                 person="Dana Hughes, Director")  # and the Director obligation is done
    keepers = Group.objects.create(name="playbook keepers")  # granted since the move: moves back with it
    keepers.permissions.add(*ContentType.objects.get_for_model(Playbook).permission_set.filter(codename="delete_playbook"))
    now = counted(apps, "clocks", incident.pk)
    assert now["Obligation"][0] == 6 and now["Obligation"][1] > 6 and now["Notification"] == (1, 1)

    old = migrate(BEFORE)
    try:
        # As a database from before the move held them: the models, their content types and grants the spine's.
        assert counted(old, "incidents", incident.pk) == now
        OldContentType, Permission = old.get_model("contenttypes", "ContentType"), old.get_model("auth", "Permission")
        assert not OldContentType.objects.filter(app_label="clocks").exists()
        assert Permission.objects.get(group__name="playbook keepers").content_type.app_label == "incidents"
        playbook_type = OldContentType.objects.get(app_label="incidents", model="playbook")
        editors = old.get_model("auth", "Group").objects.create(name="playbook editors")
        editors.permissions.add(Permission.objects.get(content_type=playbook_type, codename="change_playbook"),
                                Permission.objects.get(content_type=playbook_type, codename="view_playbook"))
        pat = old.get_model("incidents", "User").objects.create(username="pat", full_name="Pat Playbooks",
                                                                 is_staff=True, password="!")
        pat.groups.add(editors)
        pat.user_permissions.add(Permission.objects.get(content_type__app_label="incidents",
                                                        codename="view_obligation"))
        # Django had already made the clocks' own type for obligations (a migrate stopped half way): the
        # grant on the spine's must end up on it.
        OldContentType.objects.create(app_label="clocks", model="obligation")
        playbook = old.get_model("incidents", "Playbook").objects.get(kind="child_death")
        old.get_model("admin", "LogEntry").objects.create(
            user_id=cast.alice.pk, content_type=playbook_type, object_id=str(playbook.pk), object_repr=playbook.title,
            action_flag=CHANGE, change_message="Changed the rapid review's clock.", action_time=timezone.now())
        # Rows written before the move, by the models as they were.
        told = old.get_model("incidents", "Notification").objects.create(
            incident_id=incident.pk, step="chief_executive", step_title="Chief Executive", person="Morwenna Price",
            method="in_person", at=timezone.now(), told_by_id=cast.alice.pk)
        old.get_model("incidents", "HistoricalNotification").objects.create(
            id=told.pk, incident_id=incident.pk, step=told.step, step_title=told.step_title, person=told.person,
            method=told.method, at=told.at, told_by_id=cast.alice.pk, recorded_at=told.recorded_at,
            history_date=timezone.now(), history_type="+", history_user_id=cast.alice.pk)
        queued = DBTaskResult.objects.create(task_path=OLD_TASK, args_kwargs={"args": [1], "kwargs": {}},
                                             backend_name="default", run_after=timezone.now())
    finally:
        migrate(leaves)
    ContentType.objects.clear_cache()

    after = counted(apps, "clocks", incident.pk)
    assert after == {**now, "Notification": (2, 2)}
    assert Notification.objects.get(step="chief_executive").person == "Morwenna Price"
    assert Notification.history.filter(step="chief_executive").get().history_user_id == cast.alice.pk
    assert Obligation.objects.get(incident=incident, code="director_informed").status == "done"
    assert Playbook.objects.count() == 7 and PlaybookObligation.objects.exists() and PlaybookStep.objects.exists()

    # The content types are the clocks' (one each), and so every grant is held as clocks.*.
    assert not ContentType.objects.filter(app_label="incidents", model__in=[m.lower() for m in MOVED]).exists()
    assert ContentType.objects.filter(model="obligation").count() == 1
    pat = User.objects.get(username="pat")
    assert pat.has_perm("clocks.change_playbook") and pat.has_perm("clocks.view_obligation")
    assert not pat.has_perm("incidents.change_playbook") and not pat.has_perm("clocks.delete_playbook")
    assert Group.objects.get(name="playbook keepers").permissions.get().content_type.app_label == "clocks"
    client.force_login(pat)
    playbook = Playbook.objects.get(kind="child_death")
    assert client.get(f"/admin/clocks/playbook/{playbook.pk}/change/").status_code == 200
    assert client.get("/admin/clocks/obligation/").status_code == 200

    entry = LogEntry.objects.get(object_id=str(playbook.pk), change_message="Changed the rapid review's clock.")
    assert entry.get_edited_object() == playbook
    assert entry.get_admin_url() == f"/admin/clocks/playbook/{playbook.pk}/change/"

    queued.refresh_from_db()
    assert queued.status == "FAILED" and queued.exception_class_path == "harbour.clocks.Moved"
