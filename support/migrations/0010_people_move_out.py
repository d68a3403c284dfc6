import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import AlterRelationsInState

# People (User, Team, their histories) and the sign-in failures moved to an app of their own, people/, keeping
# their tables (issue 19). Nothing in the database changes: every operation here is on Django's record of
# the models only (AlterRelationsInState, state_operations), so foreign keys keep their columns, constraints
# and data.


class Migration(migrations.Migration):
    """Its foreign keys to people point at people.User and people.Team (state only)."""

    dependencies = [
        ('support', '0009_emails_and_notices_to_the_one_outbox'),
        ('people', '0001_initial'),
    ]

    operations = [
        AlterRelationsInState([
            ('affectedperson', 'added_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('affectedperson', 'person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='exposures', to=settings.AUTH_USER_MODEL)),
            ('affectedperson', 'supporter', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='supporting', to=settings.AUTH_USER_MODEL)),
            ('debrief', 'created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('debrief', 'facilitator', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='facilitating', to=settings.AUTH_USER_MODEL)),
            ('debriefinvitee', 'person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='debrief_invitations', to=settings.AUTH_USER_MODEL)),
            ('followup', 'assignee', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assigned_follow_ups', to=settings.AUTH_USER_MODEL)),
            ('followup', 'closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('followup', 'person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='follow_ups', to=settings.AUTH_USER_MODEL)),
            ('historicalaffectedperson', 'added_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalaffectedperson', 'history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalaffectedperson', 'person', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalaffectedperson', 'supporter', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicaldebrief', 'created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicaldebrief', 'facilitator', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicaldebrief', 'history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicaldebriefinvitee', 'history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicaldebriefinvitee', 'person', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalfollowup', 'assignee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalfollowup', 'closed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalfollowup', 'history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalfollowup', 'person', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalplanstep', 'history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalsupportplan', 'history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalsupportrequest', 'history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('historicalsupportrequest', 'person', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ('supportrequest', 'person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='support_requests', to=settings.AUTH_USER_MODEL)),
        ]),
    ]
