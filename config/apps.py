from django.apps import AppConfig


class HarbourPlatformConfig(AppConfig):
    """The platform every wing stands on: settings, routing, the shared errors, socket authentication,
    sign-in throttling, and the commands that run or seed the whole product (`serve`, `seed_demo`)."""

    name = "config"
    label = "harbour"
    verbose_name = "Harbour platform"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from config import signin

        # Every way of signing in sends it (the page, the admin site's, the token endpoint).
        user_login_failed.connect(signin.record_failure, dispatch_uid="harbour.signin.record_failure")
