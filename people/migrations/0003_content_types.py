"""People have an app of their own now (0001 and 0002 took them over in Django's state; their tables stayed):
their content types move too, from "incidents" (User, Team and their histories) and "harbour" (the sign-in
failures) to "people". So the permissions granted on them are still held, now as `people.change_user`, and
the admin's log still points at the right pages. Should Django have made people's content types already
(a migrate stopped part way), the grants and log entries move onto those, and the old ones go. Reversed,
everything moves back.
"""

from django.db import migrations

MODELS = {"user": "incidents", "team": "incidents", "historicaluser": "incidents", "historicalteam": "incidents",
          "signinfailure": "harbour"}


def move_content_types(forwards: bool):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        Permission = apps.get_model("auth", "Permission")
        LogEntry = apps.get_model("admin", "LogEntry")
        db = schema_editor.connection.alias
        for model, home in MODELS.items():
            source, target = (home, "people") if forwards else ("people", home)
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
        ("people", "0002_sign_in_failures"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [
        migrations.RunPython(move_content_types(forwards=True), move_content_types(forwards=False)),
    ]
