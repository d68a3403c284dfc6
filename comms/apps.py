from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "comms"
    verbose_name = "Communications"

    def ready(self) -> None:
        from config.worker import register_sweep
        from incidents import realtime

        from . import tasks

        register_sweep(tasks.sweep_due)
        from incidents.selectors import HistorySource, register_history_source

        from .models import Approval, CommsEvent, FamilyInformed, MediaEnquiry, Message

        media = {CommsEvent.MEDIA_LOGGED, CommsEvent.MEDIA_UPDATED}
        identifiers = {CommsEvent.IDENTIFIER_ADDED, CommsEvent.IDENTIFIER_REMOVED}
        realtime.redraw_on(set(CommsEvent) - media - identifiers, "comms", "message")
        realtime.redraw_on(media, "media")
        realtime.redraw_on(identifiers)

        # What every member of the incident may see. Protected identifiers are deliberately absent.
        register_history_source(HistorySource(
            "Message", lambda i: Message.history.filter(incident_id=i.pk),
            lambda i: (lambda r: f"Message “{r.subject}”")))
        register_history_source(HistorySource(
            "Approval", lambda i: Approval.history.filter(message__incident_id=i.pk),
            lambda i: (lambda r: f"Approval of message {r.message_id}, version {r.version}")))
        register_history_source(HistorySource(
            "Family informed", lambda i: FamilyInformed.history.filter(incident_id=i.pk),
            lambda i: (lambda r: "Family informed")))
        register_history_source(HistorySource(
            "Media enquiry", lambda i: MediaEnquiry.history.filter(incident_id=i.pk),
            lambda i: (lambda r: f"Media enquiry from {r.outlet}")))
