import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import AlterRelationsInState

# People (User, Team, their histories) and the sign-in failures moved to an app of their own, people/, keeping
# their tables (issue 19). Nothing in the database changes: every operation here is on Django's record of
# the models only (AlterRelationsInState, state_operations), so foreign keys keep their columns, constraints
# and data.


class Migration(migrations.Migration):
    """The spine's foreign keys point at people/, then User, Team and their histories leave the spine's state (state only: the tables, now people/'s, stay). After every wing's keys have moved."""

    dependencies = [
        ('incidents', '0011_clocks_move_out'),
        ('people', '0001_initial'),
        ('clocks', '0002_people_move_out'),
        ('comms', '0012_people_move_out'),
        ('core', '0002_people_move_out'),
        ('support', '0010_people_move_out'),
    ]

    operations = [
        AlterRelationsInState([
            ('incident', 'opened_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicaldecision', 'recorded_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalmembership', 'user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('decision', 'decided_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('decision', 'recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('membership', 'added_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicaldecision', 'decided_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalmembership', 'history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicaldecision', 'history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalincident', 'opened_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalmembership', 'added_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('timelineevent', 'actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('membership', 'user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='memberships', to=settings.AUTH_USER_MODEL)),
            ('historicalmembership', 'removed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalincident', 'history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('apitoken', 'user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
            ('apitoken', 'ended_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('membership', 'removed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
        ]),
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='historicalteam',
                name='history_user',
            ),
            migrations.RemoveField(
                model_name='historicaluser',
                name='history_user',
            ),
            migrations.RemoveField(
                model_name='historicaluser',
                name='line_manager',
            ),
            migrations.RemoveField(
                model_name='historicaluser',
                name='team',
            ),
            migrations.RemoveField(
                model_name='user',
                name='team',
            ),
            migrations.RemoveField(
                model_name='user',
                name='groups',
            ),
            migrations.RemoveField(
                model_name='user',
                name='line_manager',
            ),
            migrations.RemoveField(
                model_name='user',
                name='user_permissions',
            ),
            migrations.DeleteModel(
                name='HistoricalTeam',
            ),
            migrations.DeleteModel(
                name='HistoricalUser',
            ),
            migrations.DeleteModel(
                name='Team',
            ),
            migrations.DeleteModel(
                name='User',
            ),
        ]),
    ]
