"""The organisation's default support plan (DOMAIN.md, "Looking after staff"): check-ins offered at 72
hours, 28 days and 3 months. Wellbeing leads change it in the admin."""

from django.db import migrations

STEPS = [("72-hour check-in", 72, "hours"), ("One-month check-in", 28, "days"), ("Three-month check-in", 3, "months")]


def add_default_plan(apps, schema_editor):
    SupportPlan = apps.get_model("support", "SupportPlan")
    PlanStep = apps.get_model("support", "PlanStep")
    if SupportPlan.objects.filter(is_default=True).exists():
        return
    plan = SupportPlan.objects.create(name="Default plan", is_default=True)
    for label, amount, unit in STEPS:
        PlanStep.objects.create(plan=plan, label=label, amount=amount, unit=unit)


class Migration(migrations.Migration):
    dependencies = [("support", "0002_staff_support")]

    operations = [migrations.RunPython(add_default_plan, migrations.RunPython.noop)]
