from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "comms"
    verbose_name = "Communications"

    def ready(self) -> None:
        from core import outbox, realtime
        from core.worker import declare_tasks, register_sweep

        from . import releases, tasks
        from .models import DELIVERY_EMAIL, NOTICE_EMAIL

        declare_tasks({"comms.release_scheduled": tasks.release_scheduled})
        register_sweep(releases.sweep_due)
        # A message's deliveries: each try moves its card, and one failed for good is told to its people. An
        # email to staff about a message has no steps of its own: its failure tells nobody again.
        outbox.declare(DELIVERY_EMAIL, after=releases.delivery_tried, failed=releases.email_failed)
        outbox.declare(NOTICE_EMAIL)
        from core.wings import incident_tab

        incident_tab("messages", "Communications", "comms-home", order=20)
        incident_tab("media", "Media enquiries", "comms-media", order=30)
        incident_tab("identifiers", "Protected identifiers", "comms-identifiers", order=40,
                     shown=lambda page: bool((page.get("incident_allowed") or {}).get("protect_identifiers")))
        from core.wings import MenuItem, menu_items

        from .selectors import menu_offers

        menu_items(MenuItem("approvals", "Approvals", "approvals-board", order=40),
                   MenuItem("inbox", "Inbox", "inbox", order=50, also="inbox-item", count_words="to read"),
                   offers=menu_offers)
        from core.wings import register_now_source

        from .contributions import now_items

        register_now_source(now_items, {"approval": "Approval", "release": "Release", "briefing": "Briefing",
                                        "media_enquiry": "Media enquiry", "undelivered": "Not delivered"})
        from core.wings import register_search_source

        from .contributions import search_items

        register_search_source(search_items, {"message": "Message"})
        from core.wings import SummarySection, register_open_actions, register_summary_section

        from .contributions import summary_open_actions, summary_released

        register_summary_section(SummarySection("released", 20, "comms/_summary_released.html", summary_released))
        register_open_actions(summary_open_actions)
        from core.wings import HistorySource, register_event_types, register_history_source

        from .models import Approval, CommsEvent, FamilyInformed, MediaEnquiry, Message

        media = {CommsEvent.MEDIA_LOGGED, CommsEvent.MEDIA_UPDATED}
        identifiers = {CommsEvent.IDENTIFIER_ADDED, CommsEvent.IDENTIFIER_REMOVED}
        realtime.redraw_on(set(CommsEvent) - media - identifiers, "comms", "message")
        realtime.redraw_on(media, "media")
        realtime.redraw_on(identifiers)
        # A draft waits on nobody until it is submitted (comms.contributions.now_items).
        realtime.now_quiet([CommsEvent.MESSAGE_DRAFTED])
        realtime.now_on(CommsEvent, "comms")
        register_event_types(CommsEvent)  # the timeline export names each event in words

        # What every member of the incident may see. Protected identifiers are deliberately absent, and so are
        # the comms lead's confirmations of parts of them, which say which words are parts: the decision log
        # and the timeline tell that story without the words.
        register_history_source(HistorySource(
            "Message", lambda i: Message.history.filter(incident_id=i.pk),
            lambda i: (lambda r: f"Message “{r.subject}”")))
        register_history_source(HistorySource(
            "Approval", lambda i: Approval.history.filter(message__incident_id=i.pk).select_related("message"),
            lambda i: (lambda r: f"Approval of “{r.message.subject}”, version {r.version}"), parent=("message",)))
        register_history_source(HistorySource(
            "Family informed", lambda i: FamilyInformed.history.filter(incident_id=i.pk),
            lambda i: (lambda r: "Family informed")))
        register_history_source(HistorySource(
            "Media enquiry", lambda i: MediaEnquiry.history.filter(incident_id=i.pk),
            lambda i: (lambda r: f"Media enquiry from {r.outlet}")))
        # The workspace's time line draws each release (incidents.selectors.timeline_picture).
        from core import charts
        from core.wings import MarkerKind, register_timeline_markers

        register_timeline_markers(MarkerKind("release", "Messages released", "circle", charts.GREEN,
                                             (CommsEvent.MESSAGE_RELEASED,), order=30))
