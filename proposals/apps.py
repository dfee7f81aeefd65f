from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = "Proposals"

    def ready(self) -> None:
        # practices never imports proposals: proposal reminders register themselves.
        from practices.registries import role_source_register
        from practices.reminders.kinds import kind_register
        from proposals import reminders, roles

        kind_register(reminders.VOTES_DUE_KIND)
        kind_register(reminders.REVIEWS_WAITING_KIND)
        # The members page says what each person drives or approves, and hands it over.
        role_source_register(roles.ROLE_SOURCE)
