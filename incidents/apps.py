from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents and people"

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
        from .selectors import incident_now, register_now_source

        register_now_source(incident_now, {"decision_review": "Decision review", "more": "More"})
        from .selectors import incident_search, register_search_source

        register_search_source(incident_search, {"incident": "Incident", "decision": "Decision"})
        from .models import EventType as E

        realtime.redraw_on([E.INCIDENT_OPENED, E.INCIDENT_UPDATED, E.INCIDENT_STATUS_CHANGED], "summary")
        realtime.redraw_on([E.MEMBER_ADDED, E.MEMBER_ROLE_CHANGED, E.MEMBER_REMOVED], "members", "decisions")
        realtime.redraw_on([E.DECISION_RECORDED, E.DECISION_REVIEW_DUE], "decisions")
        # A decision is on Now only while its review waits (incidents.selectors.incident_now).
        realtime.now_quiet([E.DECISION_RECORDED],
                           unless=lambda data: bool(data.get("review_at") or data.get("reviews") or data.get("corrects")))
        # Decisions change only this wing's part of a Now list; the incident's own details and its membership
        # change what every wing shows, so those events are named nowhere (every part).
        realtime.now_on([E.DECISION_RECORDED, E.DECISION_REVIEW_DUE], "incidents")
