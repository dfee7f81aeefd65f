"""Demo proposals for the demo team: one decided (with its design page in review), one
open with votes, one draft."""

import datetime as dt

from django.utils import timezone

from practices.registries import DemoLoader
from proposals.services import pages as page_services
from proposals.services import proposals as services

Option = services.OptionInput


def load_demo_proposals(*, team, people) -> None:
    """``people``: the demo team's users keyed lead, senior, dev1, dev2 and observer."""
    now = timezone.now()
    _demo_decided(team, people, now)
    _demo_open(team, people, now)
    _demo_draft(team, people, now)


def _demo_decided(team, people, now: dt.datetime) -> None:
    lead, senior, dev1, dev2 = people["lead"], people["senior"], people["dev1"], people["dev2"]
    decided = services.proposal_create(
        team=team,
        author=senior,
        driver=senior,
        approver=lead,
        impact="high",
        title="Adopt trunk-based development",
        due_at=now + dt.timedelta(days=2),
        contributors=[dev1, dev2],
        informed=[people["observer"]],
        background="Feature branches live for a week on average and every merge hurts.",
        relevant_data="- Median branch age: 6.5 days\n- 4 broken main builds last month",
        options=[
            Option(
                title="Trunk-based with feature flags",
                pros="- small merges\n- fast feedback",
                cons="- flags to clean up",
                cost="2 days of CI work",
            ),
            Option(
                title="Keep GitFlow",
                pros="- nothing to change",
                cons="- merge pain stays",
                cost="none",
            ),
        ],
    )
    services.proposal_open(proposal=decided, actor=senior)
    first, _second = list(decided.options.all())
    services.proposal_vote_cast(proposal=decided, voter=dev1, option_id=first.pk)
    services.proposal_vote_cast(
        proposal=decided, voter=dev2, option_id=first.pk, reason="Only if flags have owners."
    )
    services.proposal_decide(
        proposal=decided,
        actor=lead,
        option_id=first.pk,
        block_answers={},
        rationale="Short-lived branches cut our merge pain; flags get an owner and an expiry.",
        review_on=(now + dt.timedelta(days=90)).date(),
        action_items=[services.ActionItemInput(text="Add a flag expiry check to CI", owner=dev1)],
    )
    # Its design page, waiting for the senior's review under the charter's policy.
    page, _created = page_services.design_page_create_from_proposal(proposal=decided, author=senior)
    page_services.design_page_request_review(
        page=page, actor=senior, reviewer_ids=[lead.pk, dev2.pk]
    )


def _demo_open(team, people, now: dt.datetime) -> None:
    lead, senior, dev1, dev2 = people["lead"], people["senior"], people["dev1"], people["dev2"]
    open_one = services.proposal_create(
        team=team,
        author=dev1,
        driver=dev1,
        approver=lead,
        impact="medium",
        title="Move session storage from PostgreSQL to Redis",
        due_at=now + dt.timedelta(days=3),
        contributors=[senior],
        informed_emails=["cto@demo.test"],
        background="Sessions are **40%** of our write load.",
        options=[
            Option(
                title="Redis with persistence",
                pros="- fast",
                cons="- one more system to run",
                cost="1 engineer-week",
            ),
            Option(
                title="Tune PostgreSQL autovacuum",
                pros="- nothing new",
                cons="- load stays",
                cost="2 days",
            ),
        ],
    )
    services.proposal_open(proposal=open_one, actor=dev1)
    redis, postgres = list(open_one.options.all())
    services.proposal_vote_cast(
        proposal=open_one,
        voter=senior,
        option_id=redis.pk,
        reason="We already run Redis for Celery.",
    )
    # Prefers one option and blocks the other: the block is what the approver must answer.
    services.proposal_vote_cast(
        proposal=open_one,
        voter=dev2,
        option_id=postgres.pk,
        objections=[services.ObjectionInput(redis.pk, "block", "No backup plan for Redis yet.")],
    )
    services.comment_add(
        proposal=open_one, author=senior, body="What happens on a Redis failover, @dev2?"
    )


def _demo_draft(team, people, now: dt.datetime) -> None:
    services.proposal_create(
        team=team,
        author=people["dev2"],
        driver=people["dev2"],
        approver=people["lead"],
        impact="low",
        title="Replace Jenkins with GitHub Actions",
        due_at=now + dt.timedelta(days=10),
        options=[Option(title="GitHub Actions"), Option(title="Stay on Jenkins")],
    )


# Run by ``manage.py load_demo`` through the registry, after the practices' own demo.
DEMO_PROPOSALS = DemoLoader(key="proposals", order=10, load=load_demo_proposals)
