from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = "Proposals"

    def ready(self) -> None:
        # practices never imports proposals: proposals plugs into its registries here.
        from practices.registries import (
            attention_source_register,
            calendar_source_register,
            charter_action_register,
            demo_loader_register,
            retro_prompt_source_register,
            role_source_register,
        )
        from practices.reminders.kinds import kind_register
        from proposals import (
            attention,
            calendar,
            charter_actions,
            demo,
            reminders,
            retro_prompts,
            roles,
        )

        kind_register(reminders.VOTES_DUE_KIND)
        kind_register(reminders.REVIEWS_WAITING_KIND)
        # The members page says what each person drives or approves, and hands it over.
        role_source_register(roles.ROLE_SOURCE)
        # The retro board lists the decisions due for review.
        retro_prompt_source_register(retro_prompts.DECISIONS_DUE)
        # The team's calendar feed shows when voting closes on each open proposal.
        calendar_source_register(calendar.PROPOSALS_DUE)
        # The charter's section editor offers "Propose this change" next to Save.
        charter_action_register(charter_actions.PROPOSE)
        # manage.py load_demo adds the demo proposals.
        demo_loader_register(demo.DEMO_PROPOSALS)
        # The coming inbox: votes due, decisions to make, reviews waiting.
        attention_source_register(attention.VOTES_DUE)
        attention_source_register(attention.DECISIONS_TO_MAKE)
        attention_source_register(attention.REVIEWS_WAITING)
