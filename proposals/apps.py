from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = "Proposals"

    def ready(self) -> None:
        # practices never imports proposals: proposal reminders register themselves.
        from practices.reminders.kinds import kind_register
        from proposals import reminders

        kind_register(reminders.VOTES_DUE_KIND)
        kind_register(reminders.REVIEWS_WAITING_KIND)
