"""The retro board in a meeting: two people's browsers, one board, no reloads."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from practices.retros.services import retro_schedule
from tests.factories import save_retro_cadence

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SAME_DOCUMENT = "window.__sameDocument"


def test_a_card_added_by_one_member_shows_on_another_members_board_without_a_reload(
    people, page_for, browser_problems
):
    save_retro_cadence(people.team, people.lead)
    retro = retro_schedule(team=people.team)[0]
    url = f"/t/{people.team.slug}/retros/{retro.pk}/"
    writer, watcher = page_for(people.member), page_for(people.senior)
    watcher.goto(url)
    watcher.evaluate(f"{SAME_DOCUMENT} = 'still here'")
    expect(watcher.locator("#col-to_improve")).to_contain_text("0")

    writer.goto(url)
    writer.get_by_text("To improve", exact=True).click()
    writer.get_by_label("Card").fill("Stand-ups run over fifteen minutes")
    writer.get_by_role("button", name="Add card").click()
    # The writer's own board and form update in place.
    expect(writer.locator(".col-to_improve")).to_contain_text("Stand-ups run over")
    expect(writer.get_by_label("Card")).to_have_value("")

    # The watcher's board picks it up by polling: same document, no reload.
    expect(watcher.locator(".col-to_improve")).to_contain_text(
        "Stand-ups run over fifteen minutes", timeout=10_000
    )
    assert watcher.evaluate(SAME_DOCUMENT) == "still here"

    # A dot from the watcher shows on the writer's board too.
    watcher.locator(".col-to_improve").get_by_role("button", name="0 dots").click()
    expect(watcher.locator(".dots-left")).to_contain_text("2 of 3")
    expect(writer.locator(".col-to_improve button.dot")).to_contain_text("1", timeout=10_000)
    assert browser_problems == []


def test_a_lead_of_a_new_team_is_led_from_the_empty_retro_list_to_booked_retros(
    people, page_for, browser_problems
):
    lead = page_for(people.lead)
    lead.goto(reverse("practices:retros", args=[people.team.slug]))
    expect(lead.get_by_text("No retro cadence agreed yet.")).to_be_visible()
    expect(lead.locator(".retro-rows li")).to_have_count(0)
    lead.get_by_role("link", name="Set the retro cadence").click()
    # The defaults as they are: saving them is the team agreeing.
    lead.get_by_role("button", name="Save").click()
    expect(lead.get_by_role("status").filter(has_text="Saved.")).to_be_visible()

    lead.goto(reverse("practices:retros", args=[people.team.slug]))
    expect(lead.locator(".retro-rows li")).to_have_count(4)
    expect(lead.get_by_role("link", name="Open the next board")).to_be_visible()
    assert browser_problems == []
