from django.apps import AppConfig


class HarbourPlatformConfig(AppConfig):
    """The roof over the wings: settings, URLs, ASGI and socket routing. The ground floor is core/; people and
    sign-in are people/'s; the demo data is demo/'s. It stays an installed app (label "harbour") for its
    migrations: the sign-in failures it once kept moved to people/ without moving their table."""

    name = "config"
    label = "harbour"
    verbose_name = "Harbour platform"
