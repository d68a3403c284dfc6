from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor (see core/__init__.py): its commands (`serve`, `worker`), the outbox and notices."""

    name = "core"
    verbose_name = "Harbour ground floor"

    def ready(self) -> None:
        from core import outbox, tasks
        from core.worker import declare_tasks, register_sweep

        declare_tasks({outbox.SEND: tasks.send_email})
        register_sweep(outbox.sweep_due, name="outbox")
