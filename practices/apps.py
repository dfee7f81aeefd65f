from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "practices"
    verbose_name = "Team practices"

    def ready(self) -> None:
        from practices.reminders import retro, stuck_tickets
        from practices.reminders.kinds import kind_register

        kind_register(retro.KIND_SPEC)
        kind_register(stuck_tickets.KIND_SPEC)
