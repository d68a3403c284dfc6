"""The ground floor's one task: an attempt to send one email of the outbox (core/outbox.py)."""

from django_tasks import task

from core import outbox


@task()
def send_email(email_id: int) -> str:
    return outbox.send_attempt(email_id)
