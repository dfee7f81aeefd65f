"""Markup in a block reason, as the approver's browser sees the decide page.

The server-side tests check the HTML; this one checks what a browser makes of it: the
reason reads as text, and no element it names exists, redirects or rebases the page.
"""

import os
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from proposals.services import proposals as services
from tests.proposals.factories import make_proposal

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SHOTS = os.environ.get("BROWSER_SHOTS", "")
REASON = (
    '<img src=x onerror=alert(1)><base href="https://evil.example/">'
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
    '<button hx-on:click="alert(1)">Approve</button>'
)


@pytest.mark.django_db(transaction=True)
def test_the_approver_reads_a_hostile_block_reason_as_text(
    people, page_for, live_server, browser_problems
):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    option = proposal.options.get(position=0)
    services.proposal_vote_cast(
        proposal=proposal,
        voter=people.senior,
        option_id=None,
        objections=[services.ObjectionInput(option_id=option.pk, kind="block", reason=REASON)],
    )
    page = page_for(people.lead)
    decide_url = reverse("proposals:decide", args=["pay", proposal.number])
    page.goto(decide_url)

    expect(page.get_by_text(f"They said: “{REASON}”")).to_be_visible()
    assert page.locator("main img, base, meta[http-equiv], [hx-on\\:click]").count() == 0
    assert page.get_by_role("button", name="Approve").count() == 0
    page.wait_for_timeout(1500)  # what a meta refresh to evil.example would have done by now
    assert page.url == f"{live_server.url}{decide_url}"
    assert page.evaluate("document.baseURI") == page.url
    if SHOTS:
        page.screenshot(path=Path(SHOTS) / "decide-hostile-reason.png", full_page=True)
    assert browser_problems == []
