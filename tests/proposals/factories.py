import datetime as dt

from django.utils import timezone

from proposals.services import proposals as services


def make_proposal(team, driver, *, approver=None, options=2, open_it=False, days=7, **kw):
    """A proposal made through the service, as the app makes one."""
    proposal = services.proposal_create(
        team=team,
        author=driver,
        driver=driver,
        approver=approver or driver,
        title=kw.pop("title", "Move sessions to Redis"),
        due_at=timezone.now() + dt.timedelta(days=days),
        options=[
            services.OptionInput(title=f"Option {chr(65 + i)}", pros="fast", cons="cost")
            for i in range(options)
        ],
        **kw,
    )
    if open_it:
        services.proposal_open(proposal=proposal, actor=driver)
    return proposal


def decide(proposal, *, option_index=0, rationale="Because it is simplest.", action_items=()):
    """``action_items``: texts, or ``services.ActionItemInput``s."""
    option = proposal.options.order_by("position")[option_index]
    return services.proposal_decide(
        proposal=proposal,
        actor=proposal.approver,
        option_id=option.pk,
        rationale=rationale,
        block_answers={},
        action_items=[
            services.ActionItemInput(text=item) if isinstance(item, str) else item
            for item in action_items
        ],
    )
