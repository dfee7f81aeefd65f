from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "practices"
    verbose_name = "Team practices"

    def ready(self) -> None:
        from practices.charter.calendar import MILESTONES
        from practices.jira.retro_prompts import TICKETS_FINISHED
        from practices.registries import (
            attention_source_register,
            calendar_source_register,
            retro_prompt_source_register,
        )
        from practices.reminders import retro, stuck_tickets
        from practices.reminders.kinds import kind_register
        from practices.retros.attention import ACTION_ITEMS
        from practices.retros.calendar import RETROS

        kind_register(retro.KIND_SPEC)
        kind_register(stuck_tickets.KIND_SPEC)
        # The retro board's prompts, the team's calendar feed and a person's attention
        # items, from the practices' side; proposals registers its own from
        # ProposalsConfig.ready().
        retro_prompt_source_register(TICKETS_FINISHED)
        calendar_source_register(RETROS)
        calendar_source_register(MILESTONES)
        attention_source_register(ACTION_ITEMS)
