"""Wellbeing leads edit the organisation's support plans in the admin (support/admin.py): give the
`wellbeing_lead` group the view, add, change and delete permissions on plans and their steps.

Django makes a model's permissions in its post_migrate signal, after every migration has run, so on a fresh
database they do not exist yet when this runs: they are made here first (the usual recipe). Running it
again adds nothing twice; reversing it takes the permissions from the group (the permissions themselves
stay, as Django's own would)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "wellbeing_lead"
CODENAMES = [f"{verb}_{model}" for model in ("supportplan", "planstep") for verb in ("view", "add", "change", "delete")]


def _permissions(apps, using):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.using(using).filter(content_type__app_label="support", codename__in=CODENAMES)


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("support")
    # create_permissions skips an app whose models module is unset, as it is in the migration state.
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
    finally:
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.using(using).get_or_create(name=GROUP)
    permissions = list(_permissions(apps, using))
    if len(permissions) != len(CODENAMES):
        found = sorted(p.codename for p in permissions)
        raise RuntimeError(f"Expected the permissions {CODENAMES}, found {found}.")
    group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    using = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    group = Group.objects.using(using).filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps, using))


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0003_default_plan"),
        ("incidents", "0002_org_roles"),  # makes the wellbeing_lead group
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
