from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Who works here: staff (the User model), teams, organisation roles, the staff import, the staff search
    and signing in. It stands on the ground floor (core/) only: what the spine does when a person's access
    changes, it does on `people.signals.access_changed`."""

    name = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from people import signin

        # Every way of signing in sends it (the page, the admin site's, the token endpoint).
        user_login_failed.connect(signin.record_failure, dispatch_uid="harbour.signin.record_failure")
