"""The statutory clocks are a wing of their own now (clocks/migrations/0001_initial.py took them over in
Django's state): the spine's state forgets them. Their tables stay as they are, rows and history alike.

Their content types move with them, from "incidents" to "clocks", so the permissions granted on them (to
staff who edit playbooks, say) are still held, now as `clocks.change_playbook`, and the admin's log still
points at the right pages. Should Django have made the clocks' content types already (a migrate stopped
between the two apps' migrations), the grants and log entries move onto those, and the old ones go.
Reversed, everything moves back.
"""

from django.db import migrations

MODELS = ("playbook", "playbookobligation", "playbookstep", "obligation", "notification", "historicalplaybook",
          "historicalplaybookobligation", "historicalplaybookstep", "historicalobligation", "historicalnotification")


def move_content_types(source: str, target: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        Permission = apps.get_model("auth", "Permission")
        LogEntry = apps.get_model("admin", "LogEntry")
        db = schema_editor.connection.alias
        for model in MODELS:
            old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
            if old is None:
                continue
            new = ContentType.objects.using(db).filter(app_label=target, model=model).first()
            if new is None:
                old.app_label = target
                old.save(update_fields=["app_label"])
                continue
            for permission in Permission.objects.using(db).filter(content_type=old):
                twin, _ = Permission.objects.using(db).get_or_create(
                    content_type=new, codename=permission.codename, defaults={"name": permission.name})
                twin.group_set.add(*permission.group_set.all())
                twin.user_set.add(*permission.user_set.all())
            LogEntry.objects.using(db).filter(content_type=old).update(content_type=new)
            old.delete()  # and its permissions, whose grants are held by their twins now

    return move


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0010_one_outbox_and_notices"),
        ("clocks", "0001_initial"),  # the clocks' state exists before the spine's forgets them
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # What refers to another goes first: the history models, then the rows, then the playbook.
                migrations.DeleteModel(name="HistoricalNotification"),
                migrations.DeleteModel(name="HistoricalObligation"),
                migrations.DeleteModel(name="HistoricalPlaybook"),
                migrations.DeleteModel(name="HistoricalPlaybookObligation"),
                migrations.DeleteModel(name="HistoricalPlaybookStep"),
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="Obligation"),
                migrations.DeleteModel(name="PlaybookObligation"),
                migrations.DeleteModel(name="PlaybookStep"),
                migrations.DeleteModel(name="Playbook"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types("incidents", "clocks"), move_content_types("clocks", "incidents")),
    ]
