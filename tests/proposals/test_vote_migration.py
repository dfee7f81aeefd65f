"""The data migration from (option, stance) votes to a preference plus objections, run
for real: the schema goes back to 0003, old-shaped votes are written with the models of
that time, and the schema comes forward again."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from practices.models import Team
from proposals.models import Objection, Proposal, Vote

BEFORE = [("proposals", "0004_reviews_page_events")]
AFTER = [("proposals", "0005_votes_preference_objections")]

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target):
    """Moves the schema (and data) to ``target``; the app registry of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps


def people_of(team):
    return {m.user.email.split("@")[0]: m.user for m in team.memberships.select_related("user")}


def test_the_demos_old_votes_become_preferences_and_objections():
    call_command("load_demo")
    team = Team.objects.get(slug="pay")
    person = people_of(team)
    decided = Proposal.objects.get(team=team, title="Adopt trunk-based development")
    open_one = Proposal.objects.get(team=team, title__startswith="Move session storage")
    trunk, gitflow = decided.options.order_by("position")
    redis, postgres = open_one.options.order_by("position")

    old = migrate(BEFORE)
    OldVote = old.get_model("proposals", "Vote")
    OldProposal = old.get_model("proposals", "Proposal")
    # Going back keeps the strongest objection of each vote: the demo's block of Redis.
    assert OldVote.objects.get(proposal_id=open_one.pk, voter_id=person["dev2"].pk).stance == (
        "block"
    )
    # The demo's votes as it cast them before this change, an answered block and an
    # abstention, written as the old schema stored them.
    OldVote.objects.all().delete()
    rows = [
        (decided, "dev1", trunk, "agree", ""),
        (decided, "dev2", trunk, "agree", "Only if flags have owners."),
        (decided, "senior", gitflow, "block", "Flags rot."),
        (decided, "observer", gitflow, "abstain", "Not my area."),
        (open_one, "senior", redis, "agree", "We already run Redis for Celery."),
        (open_one, "dev2", postgres, "block", "No backup plan for Redis yet."),
        (open_one, "dev1", redis, "disagree", "Failover is untested."),
    ]
    for proposal, who, option, stance, reason in rows:
        OldVote.objects.create(
            proposal_id=proposal.pk,
            voter_id=person[who].pk,
            option_id=option.pk,
            stance=stance,
            reason=reason,
        )
    OldProposal.objects.filter(pk=decided.pk).update(
        block_answers={str(person["senior"].pk): "Flags expire in CI."}
    )

    migrate(AFTER)

    def vote(proposal, who):
        row = Vote.objects.get(proposal=proposal, voter=person[who])
        return row.option_id, row.reason

    # (option, agree) → a preference, with its reason.
    assert vote(decided, "dev1") == (trunk.pk, "")
    assert vote(decided, "dev2") == (trunk.pk, "Only if flags have owners.")
    assert vote(open_one, "senior") == (redis.pk, "We already run Redis for Celery.")
    # (option, abstain) → no preference, with its reason.
    assert vote(decided, "observer") == (None, "Not my area.")
    # (option, disagree|block) → that objection on that option, and no preference.
    assert vote(open_one, "dev2") == (None, "")
    assert vote(open_one, "dev1") == (None, "")
    assert vote(decided, "senior") == (None, "")
    objections = set(
        Objection.objects.values_list("proposal_id", "voter_id", "option_id", "kind", "reason")
    )
    assert objections == {
        (decided.pk, person["senior"].pk, gitflow.pk, "block", "Flags rot."),
        (open_one.pk, person["dev2"].pk, postgres.pk, "block", "No backup plan for Redis yet."),
        (open_one.pk, person["dev1"].pk, redis.pk, "disagree", "Failover is untested."),
    }
    # Every vote is still a vote: nobody drops out of the turnout.
    assert Vote.objects.count() == len(rows)
    # The answer to the block is now keyed by blocker and option.
    decided.refresh_from_db()
    assert decided.block_answers == {f"{person['senior'].pk}:{gitflow.pk}": "Flags expire in CI."}
    # And the tally reads what people meant: a block is no support.
    from proposals.selectors.proposals import proposal_page

    open_one.refresh_from_db()
    page = proposal_page(proposal=open_one, user=person["lead"])
    support = {row.option.title: row.support for row in page.tally}
    assert support == {redis.title: 1, postgres.title: 0}
    assert [o.reason for o in page.tally[1].blocks] == ["No backup plan for Redis yet."]
