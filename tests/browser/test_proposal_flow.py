"""A DACI proposal from draft to design page, in a real browser, with a real worker."""

import os
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from proposals.models import ActionItem, DesignPage, Proposal, Status
from tests.worker import read_mail, running_worker, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    # WhiteNoise notes that collectstatic has not run; the live server serves /static/ itself.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

# Set BROWSER_SHOTS to a folder to keep a full-page screenshot of each step there.
SHOTS = os.environ.get("BROWSER_SHOTS", "")
NO_RELOAD = "window.__sameDocument = 'still here'"
SURVIVED = "window.__sameDocument"
TITLE = "Keep web sessions in Redis"
REDIS, DATABASE = "Redis", "The database"


def named(user, full_name: str):
    """Gives a person a fixed name: labels and messages are matched on names."""
    user.first_name, user.last_name = full_name.split()
    user.save(update_fields=["first_name", "last_name"])
    return user


def shoot(page: Page, shot: str) -> None:
    if SHOTS:
        page.screenshot(path=Path(SHOTS) / f"{shot}.png", full_page=True)


def open_proposals(page: Page) -> None:
    """Proposals in the team's menu; from the home page, through the team's card first."""
    team_menu = page.get_by_role("navigation", name="Payments")
    if not team_menu.count():
        page.get_by_role("link", name="Payments", exact=True).first.click()
    team_menu.get_by_role("link", name="Proposals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Proposals")


def write_option(
    option: Locator, *, letter: str, title: str, pros: str, cons: str, cost: str
) -> None:
    option.get_by_label(f"Option {letter}", exact=True).fill(title)
    option.get_by_label("Pros").fill(pros)
    option.get_by_label("Cons").fill(cons)
    option.get_by_label("Cost / effort").fill(cost)


def tally_row(page: Page, option: str) -> Locator:
    return page.locator("#voting .tally li", has=page.locator(".tally-option", has_text=option))


def vote(page: Page, *, prefer: str, objections=()) -> Locator:
    """Votes through the form in the Votes card: the option preferred, and objections as
    (option, "Disagree" or "Block", reason); returns the card once htmx swapped it."""
    voting = page.locator("#voting")
    voting.get_by_role("radio", name=prefer, exact=True).check()
    for option, kind, reason in objections:
        voting.get_by_label(f"Objection to {option}", exact=True).select_option(label=kind)
        voting.get_by_label(f"Why you object to {option}", exact=True).fill(reason)
    voting.get_by_role("button", name="Vote", exact=True).click()
    return voting


def outcome_mail(mail_dir: Path) -> list[EmailMessage]:
    # A file the worker is still writing may have no subject yet.
    return [m for m in read_mail(mail_dir) if " decided: " in (m["Subject"] or "")]


def test_a_proposal_goes_from_draft_to_decision_to_design_page(
    people, page_for, browser_problems, celery_broker, tmp_path
):
    named(people.lead, "Lena Park")
    named(people.senior, "Sam Rivera")
    named(people.member, "Kim Osei")
    named(people.observer, "Olga Berg")
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    with running_worker(celery_broker, mail_dir):
        # The lead writes the proposal, with two options, and opens it.
        lead = page_for(people.lead)
        open_proposals(lead)
        expect(lead.get_by_role("heading", name="No proposals yet")).to_be_visible()
        shoot(lead, "01-list-empty")
        lead.get_by_role("link", name="Write the first proposal").click()
        expect(lead.get_by_role("heading", level=1)).to_have_text("New proposal")
        lead.get_by_label("Title").fill(TITLE)
        lead.get_by_label("Impact").select_option(label="High")
        lead.get_by_label("Background").fill(
            "Sessions live in the database and every request writes a row."
        )
        options = lead.locator("li.option-form")
        write_option(
            options.nth(0),
            letter="A",
            title=REDIS,
            pros="Fast; expires on its own",
            cons="One more service to run",
            cost="2 engineer-days",
        )
        write_option(
            options.nth(1),
            letter="B",
            title=DATABASE,
            pros="Nothing new to run",
            cons="A write on every request",
            cost="None",
        )
        informed = lead.get_by_role("group", name="Informed")
        informed.get_by_label("Olga Berg").check()
        lead.get_by_label("Also inform (emails)").fill("cto@example.com")
        shoot(lead, "02-new-proposal-form")
        lead.get_by_role("button", name="Save draft").click()

        expect(lead.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(lead.locator(".page-head .badge")).to_have_text("Draft")
        lead.get_by_role("button", name="Open for input").click()
        expect(lead.locator(".page-head .badge")).to_have_text("Open for input")
        proposal = Proposal.objects.get(team=people.team)
        assert proposal.status == Status.OPEN
        assert [o.title for o in proposal.options.all()] == [REDIS, DATABASE]

        # An engineer votes; the tally updates in place.
        member = page_for(people.member)
        open_proposals(member)
        member.get_by_role("link", name="Needs my vote").click()
        expect(member.get_by_role("link", name="Needs my vote")).to_have_attribute(
            "aria-current", "page"
        )
        member.get_by_role("link", name=TITLE).click()
        expect(member.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(tally_row(member, REDIS).locator(".count")).to_have_text("0")
        member.evaluate(NO_RELOAD)
        voting = vote(member, prefer=REDIS)
        expect(voting.get_by_role("status")).to_have_text("Your vote is recorded.")
        expect(tally_row(member, REDIS).locator(".count")).to_have_text("1")
        expect(tally_row(member, REDIS)).to_contain_text("your preference")
        expect(voting.get_by_role("button", name="Change vote")).to_be_visible()
        # The approver (the lead) decides rather than votes: not waited for.
        expect(voting.locator(".turnout")).to_have_text("1 of 2 voted. Not yet: Sam Rivera.")
        assert member.evaluate(SURVIVED) == "still here", "voting reloaded the page"

        # Another engineer prefers the database and blocks Redis; without a reason the
        # vote is refused beside the reason box.
        senior = page_for(people.senior)
        open_proposals(senior)
        senior.get_by_role("link", name=TITLE).click()
        senior.evaluate(NO_RELOAD)
        voting = vote(senior, prefer=DATABASE, objections=[(REDIS, "Block", "")])
        expect(voting.locator(".field.has-error .errorlist")).to_have_text(
            "Say why: a reason is required to disagree or block."
        )
        reason = "Nobody is on call for Redis yet; sessions would die with it."
        voting.get_by_label(f"Why you object to {REDIS}", exact=True).fill(reason)
        voting.get_by_role("button", name="Vote", exact=True).click()
        expect(voting.get_by_role("status")).to_have_text("Your vote is recorded.")
        # The block never adds to Redis's support; it shows apart, in red, with its reason.
        expect(tally_row(senior, DATABASE).locator(".count")).to_have_text("1")
        expect(tally_row(senior, REDIS).locator(".count")).to_have_text("1")
        expect(tally_row(senior, REDIS).locator(".objections li")).to_have_text(
            f"Sam Rivera blocks: {reason}"
        )
        expect(tally_row(senior, DATABASE).locator(".objections")).to_have_count(0)
        expect(voting.locator(".turnout")).to_have_text("2 of 2 voted.")
        assert senior.evaluate(SURVIVED) == "still here", "voting reloaded the page"
        shoot(senior, "03-voted")

        # The approver reads the tally, answers the block and decides.
        open_proposals(lead)
        expect(lead.locator(".proposal-row .turnout")).to_have_text("2 of 2 voted")
        expect(lead.locator(".proposal-row .blocked-mark")).to_be_visible()
        shoot(lead, "04-list")
        lead.get_by_role("link", name=TITLE).click()
        expect(tally_row(lead, REDIS).locator(".count")).to_have_text("1")
        expect(tally_row(lead, DATABASE).locator(".count")).to_have_text("1")
        expect(lead.locator(".vote-form")).to_have_count(0)  # the approver has no vote
        # Who voted what is fetched when its list is opened.
        reasons = lead.locator("details.vote-reasons")
        expect(reasons.locator(".vote-list")).to_have_count(0)
        reasons.locator("summary").click()
        expect(reasons.locator(".vote-list > li")).to_have_count(2)
        expect(reasons.locator(".vote-list")).to_contain_text(f"blocks {REDIS}: {reason}")
        shoot(lead, "05-open-proposal")
        lead.get_by_role("link", name="Decide", exact=True).click()
        expect(lead.get_by_role("heading", level=1)).to_have_text(f"Decide: {TITLE}")
        shoot(lead, "06-decide")
        lead.get_by_role("radio", name=f"Decide for: {REDIS}").check()
        lead.get_by_label("Rationale").fill(
            "Sessions are **hot data**; Redis expires them for free."
        )
        lead.get_by_role("button", name="Record the decision").click()
        # The block has no answer yet: refused beside its box, the rest kept.
        answer_box = lead.get_by_label(f"Your answer to Sam Rivera's block of “{REDIS}”")
        expect(lead.locator(".blocks .field.has-error .errorlist")).to_have_text(
            "This field is required."
        )
        expect(lead.get_by_label("Rationale")).to_have_value(
            "Sessions are **hot data**; Redis expires them for free."
        )
        answer = "Platform puts Redis on call before we switch; the database stays as fallback."
        answer_box.fill(answer)
        lead.get_by_label("Action item, row 1").fill("Put Redis on the platform on-call rota")
        lead.get_by_label("Owner, row 1").select_option(label="Sam Rivera")
        lead.get_by_role("button", name="Record the decision").click()

        expect(lead.get_by_role("heading", name=f"Decision: {REDIS}")).to_be_visible()
        expect(lead.locator(".page-head .badge")).to_have_text("Decided")
        expect(lead.locator(".decision-box .answers")).to_contain_text(
            f"Sam Rivera blocked “{REDIS}”: {reason}"
        )
        expect(lead.locator(".decision-box .answers")).to_contain_text(answer)
        shoot(lead, "07-decided")

        # The decision log renders the rationale's markdown.
        open_proposals(lead)
        lead.get_by_role("link", name="Decision log").click()
        expect(lead.get_by_role("heading", level=1)).to_have_text("Decision log")
        expect(lead.locator(".decision .excerpt strong")).to_have_text("hot data")
        shoot(lead, "07b-decision-log")
        lead.locator(".decision").get_by_role("link", name=TITLE).click()

        # The decision becomes a design page.
        lead.get_by_role("button", name="Create the design page").click()
        expect(lead.get_by_text("Design page started from DACI-1. You drive it.")).to_be_visible()
        expect(lead.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(lead.get_by_role("link", name=f"DACI-1: {TITLE}")).to_be_visible()
        expect(lead.locator(".page-body")).to_contain_text(REDIS)
        shoot(lead, "08-design-page")
        design = DesignPage.objects.get(team=people.team)
        assert (design.proposal_id, design.driver_id) == (proposal.pk, people.lead.pk)
        item = ActionItem.objects.get(proposal=proposal)
        assert (item.text, item.owner) == ("Put Redis on the platform on-call rota", people.senior)

        # The worker tells everyone involved of the outcome: the driver, the voters (the
        # blocker too) and the informed people.
        wait_for(lambda: len(outcome_mail(mail_dir)) == 5, timeout=30, what="the outcome emails")

    subject = f"[PAY] DACI-1 decided: {TITLE}"
    sent = {m["To"]: m for m in outcome_mail(mail_dir)}
    assert sorted(sent) == sorted(
        [
            "cto@example.com",
            people.observer.email,
            people.lead.email,
            people.member.email,
            people.senior.email,
        ]
    )
    for message in sent.values():
        assert message["Subject"] == subject
        body = message.get_body(("plain",)).get_content()
        assert f"Chosen option: {REDIS}" in body
        assert f"http://testserver{proposal.get_absolute_url()}" in body
    # The blocker reads the rationale rendered, their block with its answer, the item.
    to_voter = sent[people.senior.email]
    html = to_voter.get_body(("html",)).get_content()
    assert "<strong>hot data</strong>" in html and "**" not in html
    text = to_voter.get_body(("plain",)).get_content()
    assert "Sessions are hot data; Redis expires them for free." in text
    assert f"Sam Rivera blocked “{REDIS}”: “{reason}”" in text and answer in text
    assert "Put Redis on the platform on-call rota — Sam Rivera" in text
    assert "unsubscribe" not in to_voter.as_string().lower()
    # Only the outside address is offered a way to stop these emails.
    assert "Stop these emails" in sent["cto@example.com"].get_body(("plain",)).get_content()
    assert sent["cto@example.com"]["List-Unsubscribe"]
    assert browser_problems == []
