from django.db import migrations, models

import core.text

# People (User, Team, their histories) and the sign-in failures moved to an app of their own, people/, keeping
# their tables (issue 19). Nothing in the database changes: every operation here is on Django's record of
# the models only (state_operations), so foreign keys keep their columns, constraints and data.


class Migration(migrations.Migration):
    """The record of failed sign-ins, as config/ made it (app label "harbour"): its table already exists."""

    dependencies = [
        ('people', '0001_initial'),
        ('harbour', '0001_sign_in_failures'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='SignInFailure',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('at', models.DateTimeField(db_index=True)),
                    ('username', models.CharField(max_length=150)),
                    ('address', models.GenericIPAddressField(null=True)),
                    ('device', models.CharField(blank=True, default='', max_length=32)),
                ],
                options={
                    'db_table': 'harbour_signinfailure',
                    'indexes': [models.Index(fields=['username', 'at'], name='signin_failure_account'), models.Index(fields=['address', 'at'], name='signin_failure_address'), models.Index(condition=models.Q(('device', ''), _negated=True), fields=['device', 'at'], name='signin_failure_device')],
                },
            ),
        ]),
    ]
