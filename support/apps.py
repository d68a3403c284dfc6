from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Staff support"

    def ready(self) -> None:
        from config.worker import register_sweep

        from . import tasks

        register_sweep(tasks.sweep_due)
