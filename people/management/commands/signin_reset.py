"""`manage.py signin_reset [username ...]`: lift the account and address limits on signing in (people/signin.py)
for these usernames, or for everyone. `manage.py axes_reset` lifts the pause of a username at one address."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from people import signin


class Command(BaseCommand):
    help = "Forget failed sign-ins, so signing in is no longer paused (for these usernames, or everyone)."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*")

    def handle(self, *args, usernames: list[str], **options):
        if usernames:
            forgotten = sum(signin.reset(username) for username in usernames)
        else:
            forgotten = signin.reset()
        self.stdout.write(f"Forgot {forgotten} failed sign-in(s).")
