from django.db import migrations

# People (User, Team, their histories) and the sign-in failures moved to an app of their own, people/, keeping
# their tables (issue 19). Nothing in the database changes: every operation here is on Django's record of
# the models only (state_operations), so foreign keys keep their columns, constraints and data.


class Migration(migrations.Migration):
    """SignInFailure is people/'s now (state only: its table stays)."""

    dependencies = [
        ('harbour', '0001_sign_in_failures'),
        ('people', '0002_sign_in_failures'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.DeleteModel(
                name='SignInFailure',
            ),
        ]),
    ]
