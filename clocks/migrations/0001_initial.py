"""The statutory clocks move out of the spine into a wing of their own, their rows untouched.

Their tables keep the names they had (`incidents_obligation` and the rest, history tables too: each model
says so in its Meta), so this only tells Django's state that the models are the clocks' now: nothing in
the database is created or changed. The spine's state forgets them after this (incidents migration 0011),
which also moves their content types, and so the permissions granted on them, to the clocks.

Runs of the old reminder task queued under its old path ("incidents.tasks.obligation_remind") are retired,
saying so: the sweep says every reminder due from the obligations themselves, once, whatever happened to
any task (clocks.services.sweep_due).
"""

import django.db.models.deletion
import simple_history.models
from django.db import migrations, models
from django.utils import timezone

import core.text

OLD_TASK = "incidents.tasks.obligation_remind"
MOVED = "harbour.clocks.Moved"


def retire_old_tasks(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path=OLD_TASK, status="READY").update(
        status="FAILED", finished_at=timezone.now(), exception_class_path=MOVED,
        traceback="The clocks moved to a wing of their own; the sweep says every reminder that is due, once.")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('incidents', '0010_one_outbox_and_notices'),
        ("incidents", "0001_initial"),
        ('django_tasks_database', '0021_conditional_partial_index_ordering'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Playbook',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('child_death', 'Death of a child'), ('child_serious_harm', 'Serious harm to a child'), ('adult_death', 'Death of an adult with care needs'), ('adult_serious_harm', 'Serious harm to an adult with care needs'), ('community_violence', 'Community violence or disorder'), ('staff_assault', 'Assault on a member of staff'), ('other', 'Other serious incident')], max_length=32, unique=True)),
                        ('title', models.CharField(max_length=200, validators=[core.text.one_line])),
                    ],
                    options={
                        'db_table': 'incidents_playbook',
                        'ordering': ['kind'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalNotification',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('step', models.SlugField(max_length=64)),
                        ('step_title', models.CharField(max_length=200, validators=[core.text.one_line])),
                        ('person', models.CharField(help_text='Who was told, by name and post.', max_length=200, validators=[core.text.one_line])),
                        ('method', models.CharField(choices=[('in_person', 'In person'), ('phone', 'By phone'), ('video', 'By video call'), ('email', 'By email'), ('message', 'By message'), ('letter', 'By letter')], max_length=16)),
                        ('at', models.DateTimeField(help_text='When they were told.')),
                        ('recorded_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to="incidents.user")),
                        ('incident', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='incidents.incident')),
                        ('told_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to="incidents.user")),
                    ],
                    options={
                        'verbose_name': 'historical notification',
                        'verbose_name_plural': 'historical notifications',
                        'db_table': 'incidents_historicalnotification',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalObligation',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0, help_text='Where it comes in the list.')),
                        ('code', models.SlugField(help_text='Stable: reports and the API name it by this.', max_length=64)),
                        ('title', models.CharField(max_length=200, validators=[core.text.one_line])),
                        ('basis', models.TextField(help_text='The statutory or local source, in words.', max_length=2000, validators=[core.text.prose])),
                        ('responsible_role', models.CharField(choices=[('lead', 'Lead (strategic)'), ('tactical_lead', 'Tactical lead'), ('comms_lead', 'Communications lead'), ('wellbeing_lead', 'Wellbeing lead'), ('member', 'Member'), ('observer', 'Observer (read only)')], default='lead', help_text="Who is responsible; the incident's lead and tactical lead may always complete it too.", max_length=16)),
                        ('clock', models.CharField(choices=[('working_days', 'Working days'), ('calendar_days', 'Calendar days'), ('hours', 'Hours'), ('without_delay', 'Without delay')], max_length=16)),
                        ('amount', models.PositiveIntegerField(default=0, help_text='How many working days, calendar days or hours; for “without delay”, the hours after which a reminder is sent. Working days 0 means the same working day.')),
                        ('starts', models.CharField(choices=[('aware_at', 'When the organisation became aware'), ('occurred_at', 'When the incident happened'), ('obligation', 'When another obligation is done'), ('media_enquiry', 'When the first media enquiry is logged')], default='aware_at', max_length=16)),
                        ('after', models.SlugField(blank=True, help_text='For a clock that starts when another obligation is done: its code.', max_length=64)),
                        ('applies_when', models.CharField(blank=True, help_text='When it applies only in some cases (“Only if the child was looked after”): shown with it, so the lead can record that it does not apply.', max_length=300, validators=[core.text.one_line])),
                        ('started_at', models.DateTimeField(blank=True, help_text='When its clock started; empty while it waits.', null=True)),
                        ('due_at', models.DateTimeField(blank=True, null=True)),
                        ('remind_at', models.DateTimeField(blank=True, help_text='One working day before it is due, when there is such a day.', null=True)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('done', 'Done'), ('not_applicable', 'Does not apply')], default='pending', max_length=16)),
                        ('done_at', models.DateTimeField(blank=True, null=True)),
                        ('reference', models.CharField(blank=True, help_text="The notification's number, say.", max_length=200, validators=[core.text.one_line])),
                        ('reason', models.TextField(blank=True, help_text='Why it does not apply.', max_length=2000, validators=[core.text.prose])),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('decision', models.ForeignKey(blank=True, db_constraint=False, help_text='The decision-log entry that says it does not apply.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='incidents.decision')),
                        ('done_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to="incidents.user")),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to="incidents.user")),
                        ('incident', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='incidents.incident')),
                    ],
                    options={
                        'verbose_name': 'historical obligation',
                        'verbose_name_plural': 'historical obligations',
                        'db_table': 'incidents_historicalobligation',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalPlaybook',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('child_death', 'Death of a child'), ('child_serious_harm', 'Serious harm to a child'), ('adult_death', 'Death of an adult with care needs'), ('adult_serious_harm', 'Serious harm to an adult with care needs'), ('community_violence', 'Community violence or disorder'), ('staff_assault', 'Assault on a member of staff'), ('other', 'Other serious incident')], db_index=True, max_length=32)),
                        ('title', models.CharField(max_length=200, validators=[core.text.one_line])),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to="incidents.user")),
                    ],
                    options={
                        'verbose_name': 'historical playbook',
                        'verbose_name_plural': 'historical playbooks',
                        'db_table': 'incidents_historicalplaybook',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalPlaybookStep',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('code', models.SlugField(max_length=64)),
                        ('title', models.CharField(max_length=200, validators=[core.text.one_line])),
                        ('completes', models.SlugField(blank=True, help_text='The code of an obligation that telling them fulfils (the Director: director_informed).', max_length=64)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to="incidents.user")),
                        ('playbook', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='clocks.playbook')),
                    ],
                    options={
                        'verbose_name': 'historical playbook step',
                        'verbose_name_plural': 'historical playbook steps',
                        'db_table': 'incidents_historicalplaybookstep',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalPlaybookObligation',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0, help_text='Where it comes in the list.')),
                        ('code', models.SlugField(help_text='Stable: reports and the API name it by this.', max_length=64)),
                        ('title', models.CharField(max_length=200, validators=[core.text.one_line])),
                        ('basis', models.TextField(help_text='The statutory or local source, in words.', max_length=2000, validators=[core.text.prose])),
                        ('responsible_role', models.CharField(choices=[('lead', 'Lead (strategic)'), ('tactical_lead', 'Tactical lead'), ('comms_lead', 'Communications lead'), ('wellbeing_lead', 'Wellbeing lead'), ('member', 'Member'), ('observer', 'Observer (read only)')], default='lead', help_text="Who is responsible; the incident's lead and tactical lead may always complete it too.", max_length=16)),
                        ('clock', models.CharField(choices=[('working_days', 'Working days'), ('calendar_days', 'Calendar days'), ('hours', 'Hours'), ('without_delay', 'Without delay')], max_length=16)),
                        ('amount', models.PositiveIntegerField(default=0, help_text='How many working days, calendar days or hours; for “without delay”, the hours after which a reminder is sent. Working days 0 means the same working day.')),
                        ('starts', models.CharField(choices=[('aware_at', 'When the organisation became aware'), ('occurred_at', 'When the incident happened'), ('obligation', 'When another obligation is done'), ('media_enquiry', 'When the first media enquiry is logged')], default='aware_at', max_length=16)),
                        ('after', models.SlugField(blank=True, help_text='For a clock that starts when another obligation is done: its code.', max_length=64)),
                        ('applies_when', models.CharField(blank=True, help_text='When it applies only in some cases (“Only if the child was looked after”): shown with it, so the lead can record that it does not apply.', max_length=300, validators=[core.text.one_line])),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to="incidents.user")),
                        ('playbook', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='clocks.playbook')),
                    ],
                    options={
                        'verbose_name': 'historical playbook obligation',
                        'verbose_name_plural': 'historical playbook obligations',
                        'db_table': 'incidents_historicalplaybookobligation',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('step', models.SlugField(max_length=64)),
                        ('step_title', models.CharField(max_length=200, validators=[core.text.one_line])),
                        ('person', models.CharField(help_text='Who was told, by name and post.', max_length=200, validators=[core.text.one_line])),
                        ('method', models.CharField(choices=[('in_person', 'In person'), ('phone', 'By phone'), ('video', 'By video call'), ('email', 'By email'), ('message', 'By message'), ('letter', 'By letter')], max_length=16)),
                        ('at', models.DateTimeField(help_text='When they were told.')),
                        ('recorded_at', models.DateTimeField(auto_now_add=True)),
                        ('incident', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notifications', to='incidents.incident')),
                        ('told_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to="incidents.user")),
                    ],
                    options={
                        'db_table': 'incidents_notification',
                        'ordering': ['at', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('incident', 'step'), name='notification_step_once')],
                    },
                ),
                migrations.CreateModel(
                    name='Obligation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0, help_text='Where it comes in the list.')),
                        ('code', models.SlugField(help_text='Stable: reports and the API name it by this.', max_length=64)),
                        ('title', models.CharField(max_length=200, validators=[core.text.one_line])),
                        ('basis', models.TextField(help_text='The statutory or local source, in words.', max_length=2000, validators=[core.text.prose])),
                        ('responsible_role', models.CharField(choices=[('lead', 'Lead (strategic)'), ('tactical_lead', 'Tactical lead'), ('comms_lead', 'Communications lead'), ('wellbeing_lead', 'Wellbeing lead'), ('member', 'Member'), ('observer', 'Observer (read only)')], default='lead', help_text="Who is responsible; the incident's lead and tactical lead may always complete it too.", max_length=16)),
                        ('clock', models.CharField(choices=[('working_days', 'Working days'), ('calendar_days', 'Calendar days'), ('hours', 'Hours'), ('without_delay', 'Without delay')], max_length=16)),
                        ('amount', models.PositiveIntegerField(default=0, help_text='How many working days, calendar days or hours; for “without delay”, the hours after which a reminder is sent. Working days 0 means the same working day.')),
                        ('starts', models.CharField(choices=[('aware_at', 'When the organisation became aware'), ('occurred_at', 'When the incident happened'), ('obligation', 'When another obligation is done'), ('media_enquiry', 'When the first media enquiry is logged')], default='aware_at', max_length=16)),
                        ('after', models.SlugField(blank=True, help_text='For a clock that starts when another obligation is done: its code.', max_length=64)),
                        ('applies_when', models.CharField(blank=True, help_text='When it applies only in some cases (“Only if the child was looked after”): shown with it, so the lead can record that it does not apply.', max_length=300, validators=[core.text.one_line])),
                        ('started_at', models.DateTimeField(blank=True, help_text='When its clock started; empty while it waits.', null=True)),
                        ('due_at', models.DateTimeField(blank=True, null=True)),
                        ('remind_at', models.DateTimeField(blank=True, help_text='One working day before it is due, when there is such a day.', null=True)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('done', 'Done'), ('not_applicable', 'Does not apply')], default='pending', max_length=16)),
                        ('done_at', models.DateTimeField(blank=True, null=True)),
                        ('reference', models.CharField(blank=True, help_text="The notification's number, say.", max_length=200, validators=[core.text.one_line])),
                        ('reason', models.TextField(blank=True, help_text='Why it does not apply.', max_length=2000, validators=[core.text.prose])),
                        ('due_soon_said_for', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('overdue_said_for', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('decision', models.ForeignKey(blank=True, help_text='The decision-log entry that says it does not apply.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='incidents.decision')),
                        ('done_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to="incidents.user")),
                        ('incident', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='obligations', to='incidents.incident')),
                    ],
                    options={
                        'db_table': 'incidents_obligation',
                        'ordering': ['incident', 'position', 'id'],
                        'indexes': [models.Index(condition=models.Q(('status', 'pending')), fields=['due_at', 'id'], name='obligation_pending_due')],
                        'constraints': [models.UniqueConstraint(fields=('incident', 'code'), name='obligation_code_unique'), models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'done', 'not_applicable'])), name='obligation_status_valid'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'done'), _negated=True), ('done_at__isnull', False), _connector='OR'), name='obligation_done_has_time')],
                    },
                ),
                migrations.CreateModel(
                    name='PlaybookObligation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0, help_text='Where it comes in the list.')),
                        ('code', models.SlugField(help_text='Stable: reports and the API name it by this.', max_length=64)),
                        ('title', models.CharField(max_length=200, validators=[core.text.one_line])),
                        ('basis', models.TextField(help_text='The statutory or local source, in words.', max_length=2000, validators=[core.text.prose])),
                        ('responsible_role', models.CharField(choices=[('lead', 'Lead (strategic)'), ('tactical_lead', 'Tactical lead'), ('comms_lead', 'Communications lead'), ('wellbeing_lead', 'Wellbeing lead'), ('member', 'Member'), ('observer', 'Observer (read only)')], default='lead', help_text="Who is responsible; the incident's lead and tactical lead may always complete it too.", max_length=16)),
                        ('clock', models.CharField(choices=[('working_days', 'Working days'), ('calendar_days', 'Calendar days'), ('hours', 'Hours'), ('without_delay', 'Without delay')], max_length=16)),
                        ('amount', models.PositiveIntegerField(default=0, help_text='How many working days, calendar days or hours; for “without delay”, the hours after which a reminder is sent. Working days 0 means the same working day.')),
                        ('starts', models.CharField(choices=[('aware_at', 'When the organisation became aware'), ('occurred_at', 'When the incident happened'), ('obligation', 'When another obligation is done'), ('media_enquiry', 'When the first media enquiry is logged')], default='aware_at', max_length=16)),
                        ('after', models.SlugField(blank=True, help_text='For a clock that starts when another obligation is done: its code.', max_length=64)),
                        ('applies_when', models.CharField(blank=True, help_text='When it applies only in some cases (“Only if the child was looked after”): shown with it, so the lead can record that it does not apply.', max_length=300, validators=[core.text.one_line])),
                        ('playbook', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='obligations', to='clocks.playbook')),
                    ],
                    options={
                        'db_table': 'incidents_playbookobligation',
                        'ordering': ['playbook', 'position', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('playbook', 'code'), name='playbook_obligation_code_unique'), models.CheckConstraint(condition=models.Q(('responsible_role', 'observer'), _negated=True), name='playbook_obligation_not_observer'), models.CheckConstraint(condition=models.Q(('starts', 'obligation'), ('after', ''), _connector='XOR'), name='playbook_obligation_after_iff_obligation')],
                    },
                ),
                migrations.CreateModel(
                    name='PlaybookStep',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('code', models.SlugField(max_length=64)),
                        ('title', models.CharField(max_length=200, validators=[core.text.one_line])),
                        ('completes', models.SlugField(blank=True, help_text='The code of an obligation that telling them fulfils (the Director: director_informed).', max_length=64)),
                        ('playbook', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ladder', to='clocks.playbook')),
                    ],
                    options={
                        'db_table': 'incidents_playbookstep',
                        'ordering': ['playbook', 'position', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('playbook', 'code'), name='playbook_step_code_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(retire_old_tasks, migrations.RunPython.noop),
    ]
