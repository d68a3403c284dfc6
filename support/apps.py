from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Staff support"

    def ready(self) -> None:
        from core import outbox
        from core.worker import declare_tasks, register_sweep

        from . import notify, reminders, services, tasks
        from .models import EMAIL_KIND

        declare_tasks({"support.follow_up_due": tasks.follow_up_due})
        register_sweep(reminders.sweep_due)
        # Support's emails go by the one outbox, in office hours unless urgent (a debrief starting before then).
        outbox.declare(EMAIL_KIND, not_before=notify.email_not_before)
        from core.wings import on_incident

        # "I would like to talk to someone", ticked on a briefing: a request for a wellbeing lead.
        on_incident("wants_support", services.support_request_from_briefing)
        from core.wings import incident_tab

        incident_tab("support", "Staff support", "incident-support", order=50)
        from core.wings import MenuItem, menu_items

        from .selectors import menu_offers

        menu_items(MenuItem("follow-ups", "Follow-ups", "follow-ups-board", order=60),
                   MenuItem("my-support", "My support", "my-support", order=70, count_words="new"),
                   MenuItem("support-requests", "Support requests", "support-requests", order=80),
                   offers=menu_offers)
        from core.wings import register_event_types

        from .models import SupportEvent

        register_event_types(SupportEvent)  # the timeline export names each event in words
        from core import realtime

        realtime.now_on(SupportEvent, "support")  # its events change only its part of a Now list
        from core.wings import register_now_source

        from .selectors import now_items

        register_now_source(now_items, {"follow_up": "Check-in", "debrief": "Debrief", "invitation": "Invitation", "support_request": "Support request"})
        from core.wings import register_open_actions

        from .selectors import summary_open_actions

        register_open_actions(summary_open_actions)
