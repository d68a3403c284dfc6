from django.apps import AppConfig


class ClocksConfig(AppConfig):
    """Statutory clocks: playbooks, obligations and their reminders, the need-to-know ladder.

    A wing: it stands on the spine (incidents) and the ground (core), and everything it adds to the pages
    and the life of an incident it declares here. The spine names none of it."""

    name = "clocks"
    verbose_name = "Statutory clocks"

    def ready(self) -> None:
        from core import outbox, realtime
        from core.worker import declare_tasks, register_sweep

        from . import services, tasks

        declare_tasks({"clocks.obligation_remind": tasks.obligation_remind})
        register_sweep(services.sweep_due)
        outbox.declare(services.CLOCKS_EMAIL)  # reminders of statutory clocks: they keep no office hours
        # What an incident's life means for its clocks, in the spine's transaction.
        from core.wings import on_incident

        on_incident("opened", services.incident_opened)  # copy the playbook
        on_incident("changed", services.incident_changed)  # recompute, or redraw the boards
        on_incident("media_interest", services.media_interest)  # the holding statement's clock starts
        # The workspace's Clocks tab, its two live panels, and the script that counts down in the page.
        from core.wings import MenuItem, menu_items, workspace_tab

        from .selectors import menu_offers
        from .views import workspace_context

        workspace_tab("clocks", "Clocks", "clocks/_workspace.html", order=20, context=workspace_context,
                      panels={"clocks": "clocks/_workspace.html#clocks", "ladder": "clocks/_workspace.html#ladder"},
                      scripts=("harbour/clocks.js",))
        menu_items(MenuItem("clocks", "Clocks", "clocks-board", order=30), offers=menu_offers)
        from core.wings import (
            SummarySection,
            register_event_types,
            register_now_source,
            register_open_actions,
            register_summary_section,
        )

        from .models import ClocksEvent as E
        from .selectors import now_items, summary_clocks, summary_open_actions

        register_now_source(now_items, {"obligation": "Deadline"})
        register_summary_section(SummarySection("clocks", 30, "clocks/_summary_clocks.html", summary_clocks))
        register_open_actions(summary_open_actions, order=10)  # first: the statutory deadlines
        register_event_types(E)  # the timeline export names each event in words
        realtime.redraw_on([E.OBLIGATION_STARTED, E.OBLIGATIONS_RECOMPUTED, E.OBLIGATION_DONE, E.OBLIGATION_DUE_SOON,
                            E.OBLIGATION_OVERDUE], "clocks")
        realtime.redraw_on([E.OBLIGATION_NOT_APPLICABLE], "clocks", "decisions")
        realtime.redraw_on([E.NOTIFICATION_RECORDED], "ladder", "clocks")
        realtime.now_on(E, "clocks")  # its events change only its part of a Now list
