from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from core import realtime
        from core.worker import declare_tasks, register_sweep

        from . import services, tasks

        declare_tasks({"incidents.decision_review_due": tasks.decision_review_due})
        register_sweep(services.sweep_due)
        from core.wings import incident_tab

        incident_tab("workspace", "Workspace", "incident-detail", order=10)
        incident_tab("summary", "Summary to print", "incident-summary", order=90)
        from core.wings import MenuItem, menu_items

        from .selectors import menu_offers

        menu_items(MenuItem("now", "Now", "now", order=10), MenuItem("incidents", "Incidents", "incident-list", order=20),
                   MenuItem("search", "Search", "search", order=90, phone_only=True))
        menu_items(MenuItem("api", "API", "api-tokens", order=100), offers=menu_offers)
        from core import charts
        from core.wings import (
            HistorySource,
            MarkerKind,
            SummarySection,
            register_event_types,
            register_history_source,
            register_now_source,
            register_open_actions,
            register_search_source,
            register_summary_section,
            register_timeline_markers,
        )
        from people.signals import access_changed

        from .history import membership_namer
        from .models import Decision, Incident, Membership
        from .models import EventType as E
        from .now import incident_now
        from .search import incident_search
        from .selectors import incident_open_actions, summary_decisions

        access_changed.connect(_access_changed, dispatch_uid="incidents.access_changed")
        register_now_source(incident_now, {"decision_review": "Decision review", "more": "More"})
        register_search_source(incident_search, {"incident": "Incident", "decision": "Decision"})
        register_event_types(E)  # the timeline export names each event in words
        # The spine's records come first in the history: a source's place is part of the history's cursor.
        register_history_source(HistorySource(
            "Incident", lambda i: Incident.history.filter(id=i.pk), lambda i: (lambda r: r.reference)))
        register_history_source(HistorySource(
            "Membership", lambda i: Membership.history.filter(incident_id=i.pk), membership_namer))
        register_history_source(HistorySource(
            "Decision", lambda i: Decision.history.filter(incident_id=i.pk),
            lambda i: (lambda r: f"Decision {r.number}")))
        register_summary_section(SummarySection("decisions", 10, "incidents/summary/_decisions.html",
                                                summary_decisions))
        register_open_actions(incident_open_actions, order=20)
        register_timeline_markers(MarkerKind("status", "Status changes", "square", charts.DARK_BLUE,
                                             (E.INCIDENT_OPENED, E.INCIDENT_STATUS_CHANGED), order=10))
        register_timeline_markers(MarkerKind("decision", "Decisions", "diamond", charts.BLUE,
                                             (E.DECISION_RECORDED,), order=20))

        realtime.redraw_on([E.INCIDENT_OPENED, E.INCIDENT_UPDATED, E.INCIDENT_STATUS_CHANGED], "summary")
        realtime.redraw_on([E.MEMBER_ADDED, E.MEMBER_ROLE_CHANGED, E.MEMBER_REMOVED], "members", "decisions")
        realtime.redraw_on([E.DECISION_RECORDED, E.DECISION_REVIEW_DUE], "decisions")
        # A decision is on Now only while its review waits (incidents.now.incident_now).
        realtime.now_quiet([E.DECISION_RECORDED],
                           unless=lambda data: bool(data.get("review_at") or data.get("reviews") or data.get("corrects")))
        # Decisions change only this wing's part of a Now list; the incident's own details and its membership
        # change what every wing shows, so those events are named nowhere (every part).
        realtime.now_on([E.DECISION_RECORDED, E.DECISION_REVIEW_DUE], "incidents")


def _access_changed(sender, *, person, by=None, door: str = "", **kwargs) -> None:
    """people/ says a person was deactivated or lost a role: the spine ends what they can no longer hold."""
    from core.actors import AdminSite

    from .membership import person_access_changed

    person_access_changed(person=person, actor=AdminSite(by) if door == "admin" else by)
