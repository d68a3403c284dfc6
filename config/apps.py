from django.apps import AppConfig


class HarbourPlatformConfig(AppConfig):
    """The platform every wing stands on: settings, routing, the shared errors, socket authentication,
    and the commands that run or seed the whole product (`serve`, `seed_demo`)."""

    name = "config"
    label = "harbour"
    verbose_name = "Harbour platform"
