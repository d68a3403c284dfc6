"""Take off every incident's timeline the events that counted people's support: one for each person put on
the staff support register, and one for each check-in completed. Every member reads the timeline, and
most may see the register only as counts withheld where small, so these let them count what is withheld.
Nothing is lost: each register entry and follow-up keeps its own history (who, when), which is where the
record of them always was. Not reversible, and nothing to reverse: support no longer writes them."""

from django.db import migrations

COUNTING_EVENTS = ("support.register_added", "support.follow_up_completed")


def remove_counting_events(apps, schema_editor):
    TimelineEvent = apps.get_model("incidents", "TimelineEvent")
    TimelineEvent.objects.filter(type__in=COUNTING_EVENTS).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0009_api_token_name_one_line"),
        ("support", "0007_text_limits_and_kinds"),
    ]

    operations = [
        migrations.RunPython(remove_counting_events, migrations.RunPython.noop, elidable=True),
    ]
