"""In a real browser: the keyboard in the charter's in-place editor, the new team form's
defaults, and the header at a laptop's and a phone's width."""

import re

import pytest
from playwright.sync_api import Page, expect

from practices.models import CharterRevision, Team
from tests.factories import PASSWORD, UserFactory, make_team

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

FOCUSED = "document.activeElement"


def _active(page: Page) -> dict:
    return page.evaluate(
        f"""() => {{ const el = {FOCUSED};
        return {{tag: el.tagName, id: el.id, name: el.getAttribute('name') || '',
                 text: (el.textContent || '').trim(), label: el.getAttribute('aria-label') || '',
                 section: (el.closest('section') || {{}}).id || ''}}; }}"""
    )


def test_the_charter_editor_works_from_the_keyboard(people, page_for, browser_problems):
    lead = page_for(people.lead)
    lead.goto(f"/t/{people.team.slug}/")
    stack = lead.locator("section#stack")
    stack.get_by_role("link", name="Edit Technical stack").click()
    expect(stack).to_have_class(re.compile(r"\bediting\b"))

    first = stack.locator("form textarea, form input:not([type=hidden]), form select").first
    expect(first).to_be_focused()
    first_name = first.get_attribute("name")

    # Esc cancels: the section is shown again, nothing saved, focus on its Edit button.
    lead.keyboard.type("Never saved")
    lead.keyboard.press("Escape")
    expect(stack).not_to_have_class(re.compile(r"\bediting\b"))
    expect(stack.get_by_role("link", name="Edit Technical stack")).to_be_focused()
    assert not CharterRevision.objects.filter(team=people.team, section_key="stack").exists()

    # Enter on the focused Edit button opens it again; Ctrl+Enter saves.
    lead.keyboard.press("Enter")
    expect(stack).to_have_class(re.compile(r"\bediting\b"))
    expect(stack.locator(f"[name={first_name}]")).to_be_focused()
    lead.keyboard.type("Python 3.11, Django 5.2")
    lead.keyboard.press("Control+Enter")
    expect(stack.get_by_role("status")).to_have_text("Saved.")
    expect(stack).not_to_have_class(re.compile(r"\bediting\b"))
    expect(stack.get_by_role("link", name="Edit Technical stack")).to_be_focused()
    assert CharterRevision.objects.filter(team=people.team, section_key="stack").count() == 1

    # Meta+Enter (Cmd on a Mac) saves too.
    lead.keyboard.press("Enter")
    expect(stack.locator(f"[name={first_name}]")).to_be_focused()
    lead.keyboard.type(", Celery 5")
    lead.keyboard.press("Meta+Enter")
    expect(stack.get_by_role("link", name="Edit Technical stack")).to_be_focused()
    assert CharterRevision.objects.filter(team=people.team, section_key="stack").count() == 2
    assert browser_problems == []


def test_the_editor_page_without_htmx_focuses_its_first_field(people, page_for):
    lead = page_for(people.lead)
    lead.goto(f"/t/{people.team.slug}/charter/stack/edit/")
    expect(
        lead.locator(
            "section#stack form textarea, section#stack form input:not([type=hidden])"
        ).first
    ).to_be_focused()


def _signed_in(browser, live_server, user, **context) -> Page:
    page = browser.new_context(base_url=live_server.url, **context).new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your teams")).to_be_visible()
    return page


def test_a_new_team_takes_the_browsers_time_zone_and_a_short_name_from_its_name(
    browser, live_server, db, browser_problems
):
    user = UserFactory()
    page = _signed_in(browser, live_server, user, timezone_id="America/Recife")
    page.goto("/t/new/")
    expect(page.get_by_label("Time zone")).to_have_value("America/Recife")
    page.get_by_label("Name", exact=True).fill("Platform Émigré Core")
    expect(page.get_by_label("Short name")).to_have_value("platform-emigre-core")
    # A hand edit stops the short name following the name.
    page.get_by_label("Short name").fill("plat")
    page.get_by_label("Name", exact=True).fill("Platform Core")
    expect(page.get_by_label("Short name")).to_have_value("plat")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Platform Core charter")
    team = Team.objects.get(slug="plat")
    assert team.time_zone == "America/Recife"


def test_a_time_zone_chosen_by_hand_is_kept(browser, live_server, db):
    user = UserFactory()
    page = _signed_in(browser, live_server, user, timezone_id="America/Recife")
    page.goto("/t/new/")
    # Sent back with an error: what the person typed stays, the browser's zone does not win.
    page.get_by_label("Name", exact=True).fill("Ops")
    page.get_by_label("Short name").fill("Not a slug!")
    page.get_by_label("Time zone").fill("Asia/Tokyo")
    page.get_by_role("button", name="Create team").click()
    expect(page.locator("#id_slug_error")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    expect(page.get_by_label("Short name")).to_have_value("Not a slug!")


@pytest.mark.parametrize(("width", "rows"), [(1280, 1), (390, 4)])
def test_the_header_of_a_lead_fits(browser, live_server, db, width, rows):
    lead = UserFactory(first_name="Maximiliana", last_name="Oberhauser-Lindqvist")
    make_team(lead=lead, name="Payments and Billing Platform", slug="pay")
    page = _signed_in(browser, live_server, lead, viewport={"width": width, "height": 800})
    page.goto("/t/pay/")
    middles = page.evaluate(
        """() => [...document.querySelectorAll(
                   '.brand, .team-switcher summary, .team-nav a, .signout > *')]
                 .map(el => el.getBoundingClientRect()).filter(r => r.height > 0)
                 .map(r => Math.round(r.top + r.height / 2))"""
    )
    # Items on one row share their middle within a few pixels.
    distinct = []
    for middle in sorted(middles):
        if not distinct or middle - distinct[-1] > 12:
            distinct.append(middle)
    assert len(distinct) <= rows, f"header has {len(distinct)} rows at {width}px"
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the page scrolls sideways at {width}px"
    expect(page.get_by_role("link", name="Maximiliana Oberhauser-Lindqvist")).to_be_visible()


PLACEHOLDER_FITS = """() => {
  const input = document.querySelector('#id_q');
  const style = getComputedStyle(input);
  const context = document.createElement('canvas').getContext('2d');
  context.font = style.font;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [context.measureText(input.placeholder).width, room];
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_proposals_search_shows_its_whole_placeholder(people, page_for, width):
    lead = page_for(people.lead)
    lead.set_viewport_size({"width": width, "height": 800})
    lead.goto(f"/t/{people.team.slug}/proposals/")
    text, room = lead.evaluate(PLACEHOLDER_FITS)
    assert text <= room, f"the placeholder needs {text:.0f}px, the field has {room:.0f}px"
