"""The proposal page's weight: its queries stay the same whatever the number of votes,
comments, events or proposals, its discussion and timeline are cached safely, and long
ones show the newest first."""

import re
import uuid

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from proposals.models import Comment, Option, Proposal, Vote
from proposals.selectors import page_cache
from proposals.selectors import proposals as selectors
from proposals.services import proposals as services
from proposals.views import fragments
from tests.factories import add_member
from tests.proposals.factories import decide, make_proposal
from tests.proposals.test_proposal_views import create_post, url


def make_busy_proposal(team, driver, voters, *, options, comments):
    proposal = make_proposal(team, driver, options=options, open_it=True)
    option_ids = list(proposal.options.values_list("pk", flat=True))
    for i, voter in enumerate(voters):
        # Every other voter objects to the next option too; one in four blocks it.
        other = option_ids[(i + 1) % len(option_ids)]
        kind = "block" if i % 4 == 3 else "disagree"
        services.proposal_vote_cast(
            proposal=proposal,
            voter=voter,
            option_id=option_ids[i % len(option_ids)],
            objections=[services.ObjectionInput(other, kind, f"Reason {i}")] if i % 2 else [],
        )
    Comment.objects.bulk_create(
        Comment(proposal=proposal, author=driver, body=f"Comment {i} with **markdown**")
        for i in range(comments)
    )
    return proposal


def test_who_voted_what_is_its_own_page_too_and_its_queries_do_not_grow(people, client_for):
    def with_voters(count: int, options: int):
        voters = [add_member(people.team) for _ in range(count)]
        return make_busy_proposal(people.team, people.member, voters, options=options, comments=0)

    small, big = with_voters(3, options=2), with_voters(40, options=8)
    client = client_for(people.observer)  # observers read the votes
    client.get(url("votes", small))
    with CaptureQueriesContext(connection) as few:
        page = client.get(url("votes", small))
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("votes", big)).text.count("<li>") >= 40
    assert len(few) == len(many)
    assert "Who voted what" in page.text and "Back to the proposal" in page.text


def timeline_entries(page: str) -> int:
    return page.split('id="timeline"', 1)[1].split("</section>", 1)[0].count("<li>")


def page_queries(client, proposal, monkeypatch) -> tuple[int, int]:
    """Queries for the proposal page before and after its discussion and timeline are
    cached (a fresh cache namespace makes the first request a cold one)."""
    monkeypatch.setattr(page_cache, "NAMESPACE", f"cold-{uuid.uuid4().hex}")
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("detail", proposal)).status_code == 200
        counts.append(len(queries))
    return counts[0], counts[1]


def test_proposal_page_queries_do_not_grow(people, client_for, monkeypatch):
    small_voters = [add_member(people.team) for _ in range(5)]
    small = make_busy_proposal(people.team, people.member, small_voters, options=3, comments=2)
    big_voters = small_voters + [add_member(people.team) for _ in range(55)]
    big = make_busy_proposal(people.team, people.member, big_voters, options=8, comments=200)
    quiet = make_busy_proposal(people.team, people.member, small_voters, options=3, comments=0)
    client = client_for(people.senior)
    client.get(url("detail", quiet))  # the session's first request does one-off work
    # With no comment at all there is no discussion to read.
    assert (
        page_queries(client, quiet, monkeypatch)[0] == page_queries(client, big, monkeypatch)[0] - 1
    )
    cold_small, warm_small = page_queries(client, small, monkeypatch)
    cold_big, warm_big = page_queries(client, big, monkeypatch)
    assert (cold_small, warm_small) == (cold_big, warm_big)
    # Cached: the options, the DACI people, the discussion and the timeline.
    assert warm_big == cold_big - 4
    assert cold_big <= 15
    assert Option.objects.filter(proposal=big).count() == 8
    assert Vote.objects.filter(proposal=big).count() == 60


def decided_with(team, driver, voters, *, items: int):
    """A decided proposal with a vote (and a block) from each voter and ``items`` action
    items, superseding an earlier decision and superseded by a later one."""
    proposal = make_busy_proposal(team, driver, voters, options=3, comments=2)
    option = proposal.options.order_by("position").first()
    blocker = voters[0]
    services.proposal_vote_cast(
        proposal=proposal,
        voter=blocker,
        option_id=None,
        objections=[services.ObjectionInput(option.pk, "block", "Risky")],
    )
    decided = services.proposal_decide(
        proposal=proposal,
        actor=driver,
        option_id=option.pk,
        rationale="Because.",
        block_answers={
            block.key: "We will watch it." for block in proposal.objections.filter(kind="block")
        },
        action_items=[services.ActionItemInput(text=f"Step {i}") for i in range(items)],
    )
    earlier = decide(make_proposal(team, driver, open_it=True))
    later = decide(make_proposal(team, driver, open_it=True))
    services.proposal_supersede(old=earlier, new=decided, actor=driver, actor_role="member")
    services.proposal_supersede(old=decided, new=later, actor=driver, actor_role="member")
    return decided


def test_a_decided_proposals_page_queries_do_not_grow(people, client_for, monkeypatch):
    few = decided_with(people.team, people.member, [add_member(people.team)], items=1)
    many = decided_with(
        people.team, people.member, [add_member(people.team) for _ in range(12)], items=8
    )
    client = client_for(people.lead)
    client.get(url("detail", few))
    assert page_queries(client, few, monkeypatch) == page_queries(client, many, monkeypatch)
    cold, _warm = page_queries(client, many, monkeypatch)
    assert cold <= 15
    page = client.get(url("detail", many)).text
    assert "Superseded by" in page and "Supersedes" in page
    assert "We will watch it." in page and "Step 7" in page


def test_a_cached_discussion_and_timeline_show_what_is_added(people, client_for):
    proposal = make_proposal(people.team, people.member, open_it=True)
    services.comment_add(proposal=proposal, author=people.senior, body="First thoughts")
    client = client_for(people.member)
    before = client.get(url("detail", proposal)).text
    assert "First thoughts" in before
    services.comment_add(proposal=proposal, author=people.senior, body="Second thoughts")
    option_id = proposal.options.values_list("pk", flat=True).first()
    services.proposal_vote_cast(proposal=proposal, voter=people.senior, option_id=option_id)
    page = client.get(url("detail", proposal)).text
    assert "First thoughts" in page and "Second thoughts" in page
    assert 'Discussion <span class="muted">(2)</span>' in page
    assert timeline_entries(page) == timeline_entries(before) + 1
    assert " voted" in page.split('id="timeline"', 1)[1].split("</section>", 1)[0]


def test_an_edit_shows_at_once_on_a_page_read_from_the_cache(people, client_for):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    reader = client_for(people.observer)
    assert "Option A" in reader.get(url("detail", proposal)).text
    post = create_post(
        people.lead,
        **{"options-0-title": "Option A, revised", "options-1-title": "Option B"},
        contributors=[str(people.senior.pk)],
    )
    assert client_for(people.member).post(url("edit", proposal), post).status_code == 302
    page = reader.get(url("detail", proposal)).text
    assert "Option A, revised" in page
    daci = page.split('class="card daci"', 1)[1].split("</section>", 1)[0]
    assert people.senior.get_full_name() in daci


def test_cached_reply_forms_carry_each_readers_own_csrf_token(people, client_for):
    """The first reader's rendering is reused, but a reply posted without JavaScript by
    a second reader (with CSRF checks on) still goes through."""
    proposal = make_proposal(people.team, people.member, open_it=True)
    services.comment_add(proposal=proposal, author=people.senior, body="A question")
    first = client_for(people.lead).get(url("detail", proposal)).text
    reader = Client(enforce_csrf_checks=True)
    reader.force_login(people.member)
    page = reader.get(url("detail", proposal)).text
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(tokens) >= 2  # the reply form and the comment form
    assert not set(tokens) & set(re.findall(r'csrfmiddlewaretoken" value="([^"]+)"', first))
    parent = proposal.comments.get()
    response = reader.post(
        url("comment", proposal),
        {"csrfmiddlewaretoken": tokens[0], "parent": parent.pk, "body": "An answer"},
    )
    assert response.status_code == 302
    assert parent.replies.get().body == "An answer"


def test_a_comment_cannot_make_the_page_write_a_readers_token(people, client_for):
    """Text shaped like the token's placeholder stays text; the placeholder itself is
    secret, so a comment cannot name it."""
    proposal = make_proposal(people.team, people.member, open_it=True)
    hostile = 'name="csrfmiddlewaretoken" value="x" [link](https://evil.example/?t=x)'
    services.comment_add(proposal=proposal, author=people.senior, body=hostile)
    client = client_for(people.member)
    client.get(url("detail", proposal))
    page = client.get(url("detail", proposal)).text
    assert fragments._csrf_placeholder() not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert "https://evil.example/?t=x" in page
    assert f"evil.example/?t={token}" not in page


def test_list_page_queries_do_not_grow(people, client_for):
    client = client_for(people.senior)
    for _ in range(10):
        make_proposal(people.team, people.member)
    client.get(url("list"))
    with CaptureQueriesContext(connection) as few:
        client.get(url("list"))
    rows = [
        Proposal(
            team=people.team,
            number=100 + i,
            title=f"Bulk {i}",
            driver=people.member,
            approver=people.lead,
            created_by=people.member,
            due_at=timezone.now(),
        )
        for i in range(4990)
    ]
    Proposal.objects.bulk_create(rows)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("list"))
    assert "Page 1 of 250" in response.text
    assert len(few) == len(many)


def test_a_long_discussion_shows_the_newest_threads_and_the_rest_on_request(people, client_for):
    proposal = make_proposal(people.team, people.member, open_it=True)
    for i in range(35):
        services.comment_add(proposal=proposal, author=people.senior, body=f"Thread {i:02d}")
    services.comment_add(
        proposal=proposal,
        author=people.member,
        body="A reply to the oldest",
        parent_id=proposal.comments.order_by("pk").first().pk,
    )
    client = client_for(people.member)
    page = client.get(url("detail", proposal)).text
    assert 'Discussion <span class="muted">(36)</span>' in page
    assert "Show 5 earlier threads" in page
    assert "Thread 34" in page and "Thread 05" in page
    assert "Thread 04" not in page and "A reply to the oldest" not in page
    everything = client.get(url("detail", proposal), {"discussion": "all"}).text
    assert "Show 5 earlier threads" not in everything
    assert "Thread 00" in everything and "A reply to the oldest" in everything


def test_a_long_timeline_shows_the_newest_events_and_the_rest_on_request(people, client_for):
    proposal = make_proposal(people.team, people.member, open_it=True)
    option_ids = list(proposal.options.values_list("pk", flat=True))
    for i in range(24):  # each change of vote is an event
        services.proposal_vote_cast(
            proposal=proposal, voter=people.senior, option_id=option_ids[i % 2]
        )
    events = selectors.proposal_events(proposal=proposal)
    assert len(events) == 20
    assert events == sorted(events, key=lambda e: (e.created_at, e.pk)), "oldest first"
    assert events[-1] == proposal.events.latest("created_at", "pk")
    client = client_for(people.member)

    response = client.get(url("detail", proposal))
    assert timeline_entries(response.text) == 20
    assert "Show the whole timeline" in response.text
    everything = client.get(url("detail", proposal), {"timeline": "all"})
    assert timeline_entries(everything.text) == proposal.events.count() > 20
    assert "Show the whole timeline" not in everything.text
