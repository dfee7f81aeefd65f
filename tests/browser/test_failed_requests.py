"""An htmx request that fails says so, instead of looking like a click that did nothing."""

import re

import pytest
from playwright.sync_api import Route, expect

from practices.models import CharterSection
from tests.browser.test_charter_flow import open_charter

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def answer(status: int, body: str = "unavailable"):
    def fulfil(route: Route) -> None:
        route.fulfill(status=status, body=body, headers={"Retry-After": "10"})

    return fulfil


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (503, "We can't reach the database right now, so that was not saved."),
        (500, "Something went wrong on our side, so that may not have been saved."),
    ],
)
def test_a_save_answered_with_a_server_error_says_it_was_not_saved(people, page_for, status, says):
    lead = page_for(people.lead)
    open_charter(lead)
    lead.get_by_role("link", name="Edit Retrospectives").click()
    retros = lead.locator("section#retros")
    expect(retros).to_have_class(re.compile(r"\bediting\b"))
    version = CharterSection.objects.get(team=people.team, key="retros").version
    # The server blinks for the save only: as a database that went away would answer.
    lead.route(re.compile(r".*/charter/retros/edit/?$"), answer(status))
    retros.get_by_role("button", name="Save").click()
    expect(lead.get_by_role("alert").filter(has_text=says)).to_be_visible()
    # The form stays open with what was typed, and nothing was saved.
    expect(retros.get_by_role("button", name="Save")).to_be_visible()
    assert CharterSection.objects.get(team=people.team, key="retros").version == version

    # Once the server answers again, the save goes through and the note goes away.
    lead.unroute(re.compile(r".*/charter/retros/edit/?$"))
    retros.get_by_role("button", name="Save").click()
    expect(lead.get_by_role("alert").filter(has_text=says)).to_have_count(0)
