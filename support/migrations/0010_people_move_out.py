import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# People (User, Team, their histories) and the sign-in failures moved to an app of their own, people/, keeping
# their tables (issue 19). Nothing in the database changes: every operation here is on Django's record of
# the models only (state_operations), so foreign keys keep their columns, constraints and data.


class Migration(migrations.Migration):
    """Its foreign keys to people point at people.User and people.Team (state only)."""

    dependencies = [
        ('support', '0009_emails_and_notices_to_the_one_outbox'),
        ('people', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='affectedperson',
                name='added_by',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='affectedperson',
                name='person',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='exposures', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='affectedperson',
                name='supporter',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='supporting', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='debrief',
                name='created_by',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='debrief',
                name='facilitator',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='facilitating', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='debriefinvitee',
                name='person',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='debrief_invitations', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='followup',
                name='assignee',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assigned_follow_ups', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='followup',
                name='closed_by',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='followup',
                name='person',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='follow_ups', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalaffectedperson',
                name='added_by',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalaffectedperson',
                name='history_user',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalaffectedperson',
                name='person',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalaffectedperson',
                name='supporter',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicaldebrief',
                name='created_by',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicaldebrief',
                name='facilitator',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicaldebrief',
                name='history_user',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicaldebriefinvitee',
                name='history_user',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicaldebriefinvitee',
                name='person',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalfollowup',
                name='assignee',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalfollowup',
                name='closed_by',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalfollowup',
                name='history_user',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalfollowup',
                name='person',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalplanstep',
                name='history_user',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalsupportplan',
                name='history_user',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalsupportrequest',
                name='history_user',
                field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='historicalsupportrequest',
                name='person',
                field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            ),
            migrations.AlterField(
                model_name='supportrequest',
                name='person',
                field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='support_requests', to=settings.AUTH_USER_MODEL),
            ),
        ]),
    ]
