"""What proposals plug into practices' registries (``ProposalsConfig.ready()``), read the
way the retro board, the calendar feed, the charter editor and load_demo read them."""

import datetime as dt

from django.template.loader import render_to_string
from django.urls import resolve, reverse
from django.utils import timezone

from practices import registries
from proposals.demo import load_demo_proposals
from proposals.models import Proposal
from proposals.views import decisions
from tests.proposals.factories import decide, make_proposal
from tests.retros import conftest as retro_fixtures
from tests.retros.conftest import upcoming

# The retro board's fixtures: a frozen clock and the team's next retro (5 March 2026).
clock = retro_fixtures.clock
retro = retro_fixtures.retro


def test_the_retro_board_prompt_lists_the_decisions_due_since_the_last_retro(people, retro):
    following = upcoming(people.team)[1]
    following.team = people.team
    due = {"Due now": dt.date(2026, 3, 18), "Reviewed before": dt.date(2026, 3, 1),
           "Due later": dt.date(2026, 4, 30)}  # fmt: skip
    for title, review_on in due.items():
        proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True,
                                 title=title)  # fmt: skip
        decide(proposal)
        Proposal.objects.filter(pk=proposal.pk).update(review_on=review_on)

    prompts = registries.retro_prompt_list(retro=following, previous=retro)

    prompt = next(p for p in prompts if p.title == "Decisions due for review")
    assert [row.title for row in prompt.rows] == ["Due now"]
    assert prompt.empty == "No decision is due for review." and prompt.more == 0
    row = render_to_string(prompt.row_template, {"row": prompt.rows[0]})
    assert f'<a href="{prompt.rows[0].get_absolute_url()}">Due now</a>' in row
    assert "review on 18 Mar" in row


def test_the_retro_board_prompt_is_shown_empty_when_nothing_is_due(people, retro):
    prompts = registries.retro_prompt_list(retro=retro, previous=None)
    prompt = next(p for p in prompts if p.title == "Decisions due for review")
    assert prompt.rows == []


def test_the_calendar_feed_has_the_due_date_of_each_open_proposal(people):
    proposal = make_proposal(people.team, people.member, open_it=True, title="Adopt Kafka")
    make_proposal(people.team, people.member, title="Still a draft")
    now = timezone.now()

    events = registries.calendar_event_list(
        team=people.team, stamp=now, absolute=lambda path: f"https://teamlead.test{path}"
    )

    mine = [e for e in events if str(e.get("uid")).startswith("proposal-")]
    assert len(mine) == 1
    event = mine[0]
    assert str(event.get("uid")) == f"proposal-{proposal.pk}-due@teamlead"
    assert str(event.get("summary")) == f"[PAY] {proposal.code} due: Adopt Kafka"
    assert str(event.get("url")) == f"https://teamlead.test{proposal.get_absolute_url()}"
    assert event.decoded("dtstart") == proposal.due_at


def test_the_charter_editor_offers_to_propose_the_change(people):
    action = next(a for a in registries.charter_action_list() if a.key == "propose")
    assert action.label == "Propose this change"
    url = reverse(action.url_name, args=[people.team.slug, "retros"])
    assert resolve(url).func is decisions.charter_change_propose


def test_load_demo_runs_the_demo_proposals():
    loader = next(d for d in registries.demo_loader_list() if d.key == "proposals")
    assert loader.load is load_demo_proposals
