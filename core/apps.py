from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor (see core/__init__.py). An app so that its commands (`serve`, `worker`) are found."""

    name = "core"
    verbose_name = "Harbour ground floor"
