"""The charter as a lead and a member use it, in a real browser."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from practices.models import CharterRevision, CharterSection

pytestmark = [
    pytest.mark.browser,
    # WhiteNoise notes that collectstatic has not run; the live server serves /static/ itself.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

NO_RELOAD = "window.__sameDocument = 'still here'"
SURVIVED = "window.__sameDocument"


def open_charter(page: Page, team_name: str = "Payments") -> None:
    """From the home page, the way a person gets there: the team's card."""
    page.get_by_role("link", name=team_name, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{team_name} charter")


def edit_retros(page: Page) -> Locator:
    """Clicks Edit on Retrospectives and returns the section once its form is swapped in."""
    page.evaluate(NO_RELOAD)
    page.get_by_role("link", name="Edit Retrospectives").click()
    retros = page.locator("section#retros")
    expect(retros).to_have_class(re.compile(r"\bediting\b"))
    expect(retros.get_by_role("button", name="Save")).to_be_visible()
    return retros


def test_lead_edits_the_retro_cadence_in_place_and_finds_it_in_the_history(
    people, page_for, browser_problems
):
    lead = page_for(people.lead)
    open_charter(lead)
    charter_url = lead.url
    retros = lead.locator("section#retros")
    expect(retros.locator(".summary")).to_have_text(
        "Every 2 weeks on Thursday at 15:00 (Europe/Berlin), 60 minutes"
    )

    retros = edit_retros(lead)
    assert lead.url == charter_url
    assert lead.evaluate(SURVIVED) == "still here", "opening the form reloaded the page"
    retros.get_by_label("Every", exact=True).fill("3")
    retros.get_by_label("On", exact=True).select_option(label="Friday")
    retros.get_by_label("At (local time)").fill("10:30")
    retros.get_by_label("Why this change (optional)").fill("Fewer, longer retros")
    retros.get_by_role("button", name="Save").click()

    expect(retros.locator(".summary")).to_have_text(
        "Every 3 weeks on Friday at 10:30 (Europe/Berlin), 60 minutes"
    )
    expect(retros.get_by_role("status")).to_have_text("Saved.")
    expect(retros).not_to_have_class(re.compile(r"\bediting\b"))
    assert lead.url == charter_url
    assert lead.evaluate(SURVIVED) == "still here", "saving reloaded the page"
    section = CharterSection.objects.get(team=people.team, key="retros")
    assert (section.version, section.data["every_weeks"], section.data["weekday"]) == (1, 3, 4)
    assert section.data["start_time"] == "10:30"

    retros.get_by_role("link", name="history").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Charter history")
    revision = lead.locator("li.revision").first
    expect(revision).to_contain_text("Retrospectives")
    expect(revision).to_contain_text("#1")
    expect(revision.locator(".why")).to_have_text("“Fewer, longer retros”")
    expect(revision.locator(".dadd", has_text="Every: 3 weeks")).to_be_visible()
    expect(revision.locator(".ddel", has_text="Every: 2 weeks")).to_be_visible()
    expect(revision.locator(".dadd", has_text="On: Friday")).to_be_visible()
    expect(revision.locator(".dadd", has_text="At (local time): 10:30")).to_be_visible()

    member = page_for(people.member)
    open_charter(member)
    expect(member.locator("section#retros .summary")).to_have_text(
        "Every 3 weeks on Friday at 10:30 (Europe/Berlin), 60 minutes"
    )
    expect(member.locator("section.section")).to_have_count(12)
    expect(member.get_by_role("link", name=re.compile(r"^Edit\b"))).to_have_count(0)
    expect(member.get_by_role("link", name="Settings")).to_have_count(0)

    assert browser_problems == []


def test_a_bad_cadence_is_refused_beside_the_field_and_the_form_stays_open(
    people, page_for, browser_problems
):
    lead = page_for(people.lead)
    open_charter(lead)
    charter_url = lead.url
    retros = edit_retros(lead)
    retros.get_by_label("Every", exact=True).fill("9")
    retros.get_by_label("On", exact=True).select_option(label="Monday")
    retros.get_by_label("Why this change (optional)").fill("Once every two months is enough")
    # Dragging the notes box's corner gives it an inline style. htmx must not copy that
    # attribute onto the swapped-in form: the policy forbids inline styles.
    retros.get_by_label("Notes", exact=True).evaluate("box => { box.style.height = '12rem'; }")
    retros.get_by_role("button", name="Save").click()

    every = retros.locator(".field", has=lead.locator("input[name=every_weeks]"))
    expect(every.locator(".errorlist")).to_have_text("Pick a whole number of weeks from 1 to 8.")
    expect(retros.get_by_label("Every", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(retros).to_have_class(re.compile(r"\bediting\b"))
    expect(retros.get_by_label("Every", exact=True)).to_have_value("9")
    expect(retros.get_by_label("On", exact=True)).to_have_value("0")
    expect(retros.get_by_label("Why this change (optional)")).to_have_value(
        "Once every two months is enough"
    )
    expect(retros.locator(".errorlist")).to_have_count(1)
    expect(retros.get_by_role("status")).to_have_count(0)
    assert lead.url == charter_url
    assert lead.evaluate(SURVIVED) == "still here", "the refused save reloaded the page"
    assert CharterSection.objects.get(team=people.team, key="retros").version == 0
    assert not CharterRevision.objects.exists()

    retros.get_by_label("Every", exact=True).fill("4")
    retros.get_by_role("button", name="Save").click()
    expect(retros.locator(".summary")).to_have_text(
        "Every 4 weeks on Monday at 15:00 (Europe/Berlin), 60 minutes"
    )
    assert CharterRevision.objects.get().message == "Once every two months is enough"

    assert browser_problems == []


def test_lead_adds_a_priority_rule_in_the_rows_table(people, page_for, browser_problems):
    lead = page_for(people.lead)
    open_charter(lead)
    priorities = lead.locator("section#priorities")
    expect(priorities).to_contain_text("No priority rules yet")
    lead.evaluate(NO_RELOAD)
    lead.get_by_role("link", name="Edit Priority rules").click()
    expect(priorities).to_have_class(re.compile(r"\bediting\b"))
    priorities.get_by_label("Ticket type, row 1").fill("Bug")
    priorities.get_by_label("Component, row 1").fill("Billing")
    priorities.get_by_label("Rule, row 1").fill("Fix immediately, whatever the severity.")
    priorities.get_by_label("Ticket type, row 2").fill("Security")
    priorities.get_by_label("Rule, row 2").fill("Next in line.")
    priorities.get_by_role("button", name="Save").click()

    expect(priorities.locator(".summary")).to_have_text("2 rules")
    rows = priorities.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td")).to_have_text(
        ["Bug", "Billing", "Fix immediately, whatever the severity."]
    )
    expect(rows.nth(1).locator("td")).to_have_text(["Security", "—", "Next in line."])
    assert lead.evaluate(SURVIVED) == "still here", "saving the rows reloaded the page"
    assert browser_problems == []


def test_cancel_puts_the_section_back_unchanged(people, page_for, browser_problems):
    lead = page_for(people.lead)
    open_charter(lead)
    retros = edit_retros(lead)
    retros.get_by_label("Every", exact=True).fill("5")
    retros.get_by_role("link", name="Cancel").click()

    expect(retros).not_to_have_class(re.compile(r"\bediting\b"))
    expect(retros.locator(".summary")).to_have_text(
        "Every 2 weeks on Thursday at 15:00 (Europe/Berlin), 60 minutes"
    )
    assert lead.evaluate(SURVIVED) == "still here", "cancelling reloaded the page"
    assert browser_problems == []


def test_the_watch_catches_a_csp_violation(page, browser_problems):
    """Guards the guard: an inline style is blocked by the policy and reported."""
    page.goto("/accounts/login/")
    with page.expect_console_message(lambda message: "CSP violation" in message.text):
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')"
        )
    assert any("style-src" in problem for problem in browser_problems), browser_problems
