from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation (`seed_demo`) and the large one the benchmarks measure (`seed_large`): the only
    app that imports every wing, and nothing imports it."""

    name = "demo"
    verbose_name = "Harbour demo data"
