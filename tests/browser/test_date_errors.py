"""Dates refused in a real browser: the reason shows next to the field, nothing is lost."""

import os
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from practices.models import Retro
from tests.browser.test_proposal_flow import write_option
from tests.factories import save_retro_cadence

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SHOTS = os.environ.get("BROWSER_SHOTS", "")


def test_a_retro_moved_to_year_9999_is_refused_next_to_the_field(people, page_for):
    save_retro_cadence(people.team, people.lead)  # retros are booked once it is agreed
    retro = people.team.retros.order_by("starts_at").first()
    page = page_for(people.lead)
    page.goto(reverse("practices:retro_move", args=[people.team.slug, retro.pk]))
    page.get_by_label("New start (local time)").fill("9999-12-31T23:30")
    page.get_by_role("button", name="Move it").click()
    field = page.locator(".field", has=page.get_by_label("New start (local time)"))
    expect(field.locator(".errorlist")).to_contain_text("more than ten years out")
    if SHOTS:
        page.screenshot(path=Path(SHOTS) / "retro-move-far-date.png", full_page=True)
    assert Retro.objects.get(pk=retro.pk).starts_at == retro.starts_at


def test_a_proposal_due_in_the_past_keeps_what_was_typed_and_says_why(people, page_for):
    page = page_for(people.member)
    page.goto(reverse("proposals:create", args=[people.team.slug]))
    page.get_by_label("Title").fill("Adopt trunk-based development")
    options = page.locator("li.option-form")
    write_option(options.nth(0), letter="A", title="Trunk", pros="Small", cons="", cost="")
    write_option(options.nth(1), letter="B", title="GitFlow", pros="", cons="Merges", cost="")
    # A browser without a date picker lets a person type any day; the server decides.
    page.locator("#id_due_date").evaluate("input => input.removeAttribute('min')")
    page.locator("#id_due_date").fill("2020-03-01")
    page.get_by_role("button", name="Save draft").click()
    field = page.locator(".field", has=page.locator("#id_due_date"))
    expect(field.locator(".errorlist")).to_contain_text("This date has passed")
    expect(page.get_by_label("Title")).to_have_value("Adopt trunk-based development")
    if SHOTS:
        page.screenshot(path=Path(SHOTS) / "proposal-past-due-date.png", full_page=True)
