import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# People (User, Team, their histories) and the sign-in failures moved to an app of their own, people/, keeping
# their tables (issue 19). Nothing in the database changes: every operation here is on Django's record of
# the models only (state_operations), so foreign keys keep their columns, constraints and data.


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
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='incident',
                name='opened_by',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicaldecision',
                name='recorded_by',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalmembership',
                name='user',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='decision',
                name='decided_by',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='decision',
                name='recorded_by',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='membership',
                name='added_by',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicaldecision',
                name='decided_by',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalmembership',
                name='history_user',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicaldecision',
                name='history_user',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalincident',
                name='opened_by',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalmembership',
                name='added_by',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='timelineevent',
                name='actor',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='membership',
                name='user',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='memberships', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalmembership',
                name='removed_by',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalincident',
                name='history_user',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='apitoken',
                name='user',
                field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='apitoken',
                name='ended_by',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='membership',
                name='removed_by',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
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
