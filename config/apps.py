from django.apps import AppConfig


class HarbourPlatformConfig(AppConfig):
    """The roof over the wings: settings, routing, socket authentication and sign-in throttling. The ground
    floor is core/; the demo data is demo/'s."""

    name = "config"
    label = "harbour"
    verbose_name = "Harbour platform"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from config import signin

        # Every way of signing in sends it (the page, the admin site's, the token endpoint).
        user_login_failed.connect(signin.record_failure, dispatch_uid="harbour.signin.record_failure")
