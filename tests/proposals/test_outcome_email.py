"""Decisions close the loop: the outcome email to everyone involved, with its parts
rendered; markdown rendered wherever a proposal's text is shown."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from practices.models import Membership
from proposals import emails, tasks
from proposals.models import OutcomeOptOut
from proposals.services import proposals as services
from tests.factories import add_member
from tests.proposals.factories import make_proposal

RATIONALE = "We ship **only after** the review.\n\n- backups first\n- then [the runbook](https://runbook.example.com)"


def html_of(message) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


def decided(people, **kw):
    """An open proposal voted on by a supporter, an objector with no preference and a
    blocker, then decided with an answered block, action items and a review date."""
    supporter, objector = add_member(people.team), add_member(people.team)
    proposal = make_proposal(
        people.team,
        people.member,
        approver=people.lead,
        open_it=True,
        contributors=[people.senior],
        informed=[people.observer],
        informed_emails=["cto@example.com", "board@example.org"],
        **kw,
    )
    a, _b = proposal.options.order_by("position")
    services.proposal_vote_cast(proposal=proposal, voter=supporter, option_id=a.pk)
    services.proposal_vote_cast(
        proposal=proposal,
        voter=objector,
        option_id=None,
        objections=[services.ObjectionInput(a.pk, "block", "No <b>backups</b> yet.")],
    )
    services.proposal_decide(
        proposal=proposal,
        actor=people.lead,
        option_id=a.pk,
        rationale=RATIONALE,
        block_answers={f"{objector.pk}:{a.pk}": "Nightly backups before the switch."},
        action_items=[
            services.ActionItemInput(
                text="Set up backups", owner=supporter, due_on=dt.date(2031, 3, 14)
            ),
            services.ActionItemInput(text="Write the runbook"),
        ],
        review_on=dt.date(2031, 6, 1),
    )
    return proposal, supporter, objector


def test_the_outcome_goes_to_everyone_involved_once(people):
    proposal, supporter, objector = decided(people)
    tasks.notify_outcome(proposal.pk)
    tasks.notify_outcome(proposal.pk)  # delivered twice
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [
            people.member.email,  # the driver
            people.senior.email,  # a contributor
            supporter.email,  # voters, the one who objected too
            objector.email,
            people.observer.email,  # informed, in the team and outside
            "cto@example.com",
            "board@example.org",
        ]
    )
    assert {m.subject for m in mail.outbox} == {f"[PAY] {proposal.code} decided: {proposal.title}"}


def test_the_outcome_email_carries_the_decision_rendered(people):
    proposal, supporter, objector = decided(people)
    tasks.notify_outcome(proposal.pk)
    message = next(m for m in mail.outbox if m.to == [objector.email])
    html, text = html_of(message), message.body
    # The rationale: markdown rendered in HTML, clean text in the text part.
    assert "<strong>only after</strong>" in html and "**" not in html
    assert '<a href="https://runbook.example.com"' in html and "<li>backups first</li>" in html
    assert "We ship only after the review." in text and "**" not in text
    assert "- then the runbook (https://runbook.example.com)" in text
    # Each block with the approver's answer; what people typed is escaped in HTML.
    objector_name = objector.get_full_name()
    assert f"{objector_name} blocked “Option A”: “No <b>backups</b> yet.”" in text
    assert "No &lt;b&gt;backups&lt;/b&gt; yet." in html and "<b>backups" not in html
    assert "Answer: Nightly backups before the switch." in text
    assert "Nightly backups before the switch." in html
    # The action items with owners and due dates, the review date and a link.
    assert f"- Set up backups — {supporter.get_full_name()}, due 14 Mar 2031" in text
    assert "- Write the runbook\n" in text
    assert "To be reviewed on 1 Jun 2031." in text and "1 Jun 2031" in html
    assert "Chosen option: Option A" in text
    assert f"{settings.SITE_URL}{proposal.get_absolute_url()}" in text
    assert f'href="{settings.SITE_URL}{proposal.get_absolute_url()}"' in html
    # Team members get no unsubscribe link: they are part of the decision.
    assert "Stop these emails" not in text and "List-Unsubscribe" not in message.extra_headers


def test_outside_addresses_can_stop_the_outcome_emails(people, client):
    proposal, *_ = decided(people)
    tasks.notify_outcome(proposal.pk)
    outside = next(m for m in mail.outbox if m.to == ["cto@example.com"])
    link = outside.extra_headers["List-Unsubscribe"].strip("<>")
    assert f"Stop these emails: {link}" in outside.body
    assert link in html_of(outside)
    path = link.removeprefix(settings.SITE_URL)
    # Following the link asks first (a mail scanner's GET changes nothing)...
    page = client.get(path)
    assert page.status_code == 200 and "Unsubscribe?" in page.text
    assert not OutcomeOptOut.objects.exists()
    # ...then the button (or a one-click POST) records it, once however often.
    assert "You are unsubscribed" in client.post(path).text
    client.post(path)
    assert list(OutcomeOptOut.objects.values_list("email", flat=True)) == ["cto@example.com"]
    # The next decision of the team is not sent there; the other outside address still is.
    mail.outbox.clear()
    later, *_ = decided(people, title="Later decision")
    tasks.notify_outcome(later.pk)
    sent = [m.to[0] for m in mail.outbox]
    assert "cto@example.com" not in sent and "board@example.org" in sent


@pytest.mark.parametrize(
    "token", ["forged", emails.outcome_opt_out_token_make(team_id=999, email="x@example.com")]
)
def test_a_forged_or_stale_unsubscribe_link_changes_nothing(people, client, token):
    path = reverse("proposals:outcome_unsubscribe", args=["pay", token])
    assert client.post(path).status_code == 400
    assert not OutcomeOptOut.objects.exists()


def test_an_unsubscribe_link_of_one_team_does_not_work_for_another(people, client):
    token = emails.outcome_opt_out_token_make(team_id=people.team.pk, email="cto@example.com")
    path = reverse("proposals:outcome_unsubscribe", args=["other", token])
    assert client.post(path).status_code == 400
    assert not OutcomeOptOut.objects.exists()


def test_mention_emails_render_the_comments_markdown(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    handle = people.senior.email.split("@")[0]
    comment = services.comment_add(
        proposal=proposal,
        author=people.member,
        body=f"@{handle} we ship **only after** the review <script>x</script>",
    )
    tasks.notify_mentions(comment.pk)
    (message,) = mail.outbox
    html = html_of(message)
    assert "<strong>only after</strong>" in html and "**" not in html
    assert "<script>" not in html
    assert "we ship only after the review" in message.body and "**" not in message.body
    assert message.body.startswith(people.member.get_full_name())


def test_the_decision_log_renders_the_rationales_markdown(people, client_for):
    proposal, *_ = decided(people)
    page = client_for(people.observer).get(reverse("proposals:decision_log", args=["pay"])).text
    entry = page.split('class="card decision"', 1)[1]
    assert "<strong>only after</strong>" in entry and "**only after**" not in entry
    assert proposal.title in entry


def test_someone_who_left_the_team_is_not_told_the_outcome(people):
    proposal, supporter, objector = decided(people)
    Membership.objects.filter(team=people.team, user=objector).delete()
    Membership.objects.filter(team=people.team, user=people.senior).delete()  # a contributor
    tasks.notify_outcome(proposal.pk)
    told = {m.to[0] for m in mail.outbox}
    assert objector.email not in told and people.senior.email not in told
    assert {people.member.email, supporter.email, people.observer.email} <= told
    assert "cto@example.com" in told, "outside addresses are not team members to check"
