"""Every date a person types is refused when past (where that makes no sense) or absurd,
with the reason next to the field; pages show the year when a date is far."""

import datetime as dt
import inspect
import re

import pytest
import time_machine
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

import practices.charter.forms
import practices.jira.forms
import practices.reminders.forms
import practices.retros.forms
import practices.teams.forms
import proposals.forms.pages
import proposals.forms.proposals
from practices.dates import PlannedDateField, PlannedDateTimeField
from practices.models import CharterSection, Retro, RetroActionItem
from proposals.models import ActionItem, Proposal
from proposals.services import proposals as services
from tests.charter_posts import rows_post
from tests.factories import save_retro_cadence
from tests.proposals.factories import make_proposal
from tests.proposals.test_proposal_views import create_post

HTMX = {"HTTP_HX_REQUEST": "true"}
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
PAST = "2026-11-20"
TOO_FAR = "2037-01-01"
TOO_EARLY = "1999-12-31"
FORM_MODULES = [
    practices.charter.forms,
    practices.teams.forms,
    practices.jira.forms,
    practices.reminders.forms,
    practices.retros.forms,
    proposals.forms.pages,
    proposals.forms.proposals,
]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def field_errors(html: str, field_id: str) -> str:
    """The errors Django shows for the field ``field_id`` (the list its input points to)."""
    errors = re.search(rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', html, re.DOTALL)
    assert errors, f"no error shown for {field_id}"
    return re.sub(r"<[^>]+>", " ", errors.group(1))


def test_every_date_field_of_every_form_uses_the_shared_date_field():
    found = []
    for module in FORM_MODULES:
        for _, form_class in inspect.getmembers(module, inspect.isclass):
            own = form_class.__module__ == module.__name__
            if not (issubclass(form_class, forms.BaseForm) and own):
                continue
            for name, field in form_class.base_fields.items():
                if isinstance(field, forms.DateTimeField):
                    assert isinstance(field, PlannedDateTimeField), (form_class, name)
                    found.append(name)
                elif isinstance(field, forms.DateField):
                    assert isinstance(field, PlannedDateField), (form_class, name)
                    found.append(name)
    assert len(found) >= 7  # due, reopen, two action items, review, milestone, retro move


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (PAST, "This date has passed"),
        (TOO_FAR, "more than ten years out"),
        ("9999-12-31", "more than ten years out"),
        (TOO_EARLY, "in 2000 or later"),
    ],
)
def test_the_shared_date_field_refuses_past_and_absurd_dates(clock, typed, message):
    with pytest.raises(forms.ValidationError, match=message):
        PlannedDateField().clean(typed)


def test_today_is_accepted_even_where_it_is_still_yesterday_in_utc(clock):
    clock.move_to(dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC))  # 2 Dec 18:00 in San Francisco
    assert PlannedDateField().clean("2026-12-02") == dt.date(2026, 12, 2)


def test_the_date_picker_offers_the_same_range(clock):
    rendered = str(forms.Form.__class__("F", (forms.Form,), {"day": PlannedDateField()})()["day"])
    assert 'min="2026-12-01"' in rendered
    assert 'max="2036-12-02"' in rendered


def test_a_proposal_due_in_the_past_or_in_9999_is_refused_next_to_the_field(
    people, client_for, clock
):
    client = client_for(people.member)
    for typed, message in [(PAST, "This date has passed"), ("9999-12-31", "ten years out")]:
        response = client.post(
            reverse("proposals:create", args=["pay"]),
            create_post(people.lead, due_date=typed, due_time="23:59"),
        )
        assert response.status_code == 200
        assert message in field_errors(response.text, "id_due_date")
    assert not Proposal.objects.exists()


def test_a_proposal_due_earlier_today_is_refused(people, client_for, clock):
    response = client_for(people.member).post(
        reverse("proposals:create", args=["pay"]),
        create_post(people.lead, due_date="2026-12-02", due_time="09:00"),  # 09:00 Berlin
    )
    assert "This time has passed" in field_errors(response.text, "id_due_time")
    assert not Proposal.objects.exists()


def test_a_proposal_whose_voting_closed_is_edited_with_its_past_due_date(people, client_for, clock):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    clock.move_to(NOW + dt.timedelta(days=30))
    services.proposals_close_due()
    client = client_for(people.member)
    edit = reverse("proposals:edit", args=["pay", proposal.number])
    due = timezone.localtime(proposal.due_at, people.team.tzinfo)
    post = create_post(people.lead, due_date=due.date().isoformat(), due_time=f"{due:%H:%M}")
    post.update({"options-0-title": "Option A", "options-1-title": "Option B", "title": "Renamed"})
    response = client.post(edit, post)
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "Renamed"


def test_reopening_voting_until_a_past_or_absurd_day_is_refused(people, client_for, clock):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    services.proposal_close_early(proposal=proposal, actor=people.member)
    client = client_for(people.member)
    status = reverse("proposals:status", args=["pay", proposal.number])
    for typed, message in [(PAST, "This date has passed"), ("9999-12-31", "ten years out")]:
        response = client.post(status, {"action": "reopen", "due_date": typed}, follow=True)
        assert message in response.text
    proposal.refresh_from_db()
    assert proposal.voting_closed_at is not None


def test_decision_review_and_action_item_dates_are_refused_next_to_their_fields(
    people, client_for, clock
):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    client = client_for(people.lead)
    decide_url = reverse("proposals:decide", args=["pay", proposal.number])
    post = {
        "outcome": str(proposal.options.first().pk),
        "rationale": "Simplest.",
        "review_on": PAST,
        "item0-text": "Write the runbook",
        "item0-due_on": TOO_FAR,
    }
    response = client.post(decide_url, post)
    assert response.status_code == 200
    assert "This date has passed" in field_errors(response.text, "id_review_on")
    assert "ten years out" in field_errors(response.text, "id_item0-due_on")
    assert not ActionItem.objects.exists()
    proposal.refresh_from_db()
    assert proposal.decided_at is None


def test_a_retro_action_item_due_in_the_past_is_refused(people, client_for, clock):
    save_retro_cadence(people.team, people.lead)  # retros are booked once it is agreed
    retro = people.team.retros.order_by("starts_at").first()
    response = client_for(people.member).post(
        reverse("practices:retro_action_add", args=["pay", retro.pk]),
        {"text": "Automate the release", "due_date": PAST},
        **HTMX,
    )
    assert response.status_code == 200
    assert "This date has passed" in field_errors(response.text, "action-due_date")
    assert not RetroActionItem.objects.exists()


@pytest.mark.parametrize("typed", ["9999-12-31T23:30", "0001-01-01T00:30", "2040-01-01T10:00"])
def test_a_retro_moved_to_an_absurd_time_is_refused_next_to_the_field(
    people, client_for, clock, typed
):
    save_retro_cadence(people.team, people.lead)  # retros are booked once it is agreed
    retro = people.team.retros.order_by("starts_at").first()
    response = client_for(people.lead).post(
        reverse("practices:retro_move", args=["pay", retro.pk]), {"starts_at": typed}
    )
    assert response.status_code == 200
    assert "Pick a date" in field_errors(response.text, "id_starts_at")
    assert Retro.objects.get(pk=retro.pk).starts_at == retro.starts_at


def milestones_post(target_date: str, done: str) -> dict:
    rows = [{"name": "GA", "target_date": target_date, "deliverable": "", "done": done}]
    return rows_post(rows)


def test_a_milestone_still_to_reach_cannot_be_in_the_past(people, client_for, clock):
    response = client_for(people.lead).post(
        reverse("practices:charter_section_edit", args=["pay", "milestones"]),
        milestones_post(PAST, done=""),
        **HTMX,
    )
    assert "tick Done, or move it" in field_errors(response.text, "id_rows-0-target_date")
    assert CharterSection.objects.get(team=people.team, key="milestones").version == 0


def test_a_milestone_reached_keeps_its_past_date(people, client_for, clock):
    client_for(people.lead).post(
        reverse("practices:charter_section_edit", args=["pay", "milestones"]),
        milestones_post(PAST, done="on"),
        **HTMX,
    )
    rows = CharterSection.objects.get(team=people.team, key="milestones").data["rows"]
    assert rows[0]["target_date"] == PAST


def test_a_milestone_in_9999_is_refused_even_when_done(people, client_for, clock):
    response = client_for(people.lead).post(
        reverse("practices:charter_section_edit", args=["pay", "milestones"]),
        milestones_post("9999-12-31", done="on"),
        **HTMX,
    )
    assert "ten years out" in field_errors(response.text, "id_rows-0-target_date")


# -- showing dates -----------------------------------------------------------------------


def when(value, fmt: str) -> str:
    return Template("{% load dates %}{{ value|when:fmt }}").render(
        Context({"value": value, "fmt": fmt})
    )


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (dt.date(2026, 12, 20), "j M", "20 Dec"),
        (dt.date(2027, 1, 5), "j M", "5 Jan 2027"),  # next year, three weeks away
        (dt.date(2026, 1, 5), "j M", "5 Jan 2026"),  # this year's past, but 11 months ago
        (dt.datetime(2026, 12, 24, 17, 0, tzinfo=dt.UTC), "D j M, H:i", "Thu 24 Dec, 17:00"),
        (dt.datetime(2027, 9, 1, 9, 0, tzinfo=dt.UTC), "D j M, H:i", "Wed 1 Sep 2027, 09:00"),
        (dt.datetime(2027, 9, 1, 9, 0, tzinfo=dt.UTC), "H:i", "09:00"),
        (dt.date(2030, 3, 1), "j M Y", "1 Mar 2030"),
        (dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC), "D j M, H:i", "Fri 31 Dec 9999, 23:59"),
        (None, "j M", ""),
    ],
)
def test_dates_show_the_year_when_far_or_in_another_year(clock, value, fmt, shown):
    assert when(value, fmt) == shown


def test_the_year_follows_the_shown_time_zone(clock):
    # 31 Dec 23:30 UTC is already next year in Berlin.
    value = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
    shown = Template(
        "{% load dates tz %}{% timezone 'Europe/Berlin' %}{{ value|when:'j M' }}{% endtimezone %}"
    ).render(Context({"value": value}))
    assert shown == "1 Jan 2027"


def test_a_far_date_in_a_zone_ahead_of_utc_is_shown_not_a_500(clock):
    # 9999-12-31 22:59 UTC has no local time in UTC+14 before year 10000: Django's |date
    # raises OverflowError there. The database no longer keeps such dates (see
    # test_hostile_input), but a page must not fall over on whatever it is given.
    far = dt.datetime(9999, 12, 31, 22, 59, tzinfo=dt.UTC)
    shown = Template(
        "{% load dates tz %}{% timezone 'Pacific/Kiritimati' %}"
        "<time datetime=\"{{ far|when:'c' }}\">{{ far|when:'D j M, H:i' }}</time>"
        "{% endtimezone %}"
    ).render(Context({"far": far}))
    assert shown == '<time datetime="9999-12-31T22:59:00+00:00">Fri 31 Dec 9999, 22:59</time>'


def test_the_proposals_list_shows_the_year_of_a_due_date_next_year(people, client_for, clock):
    make_proposal(people.team, people.member, approver=people.lead, open_it=True, days=40)
    listing = client_for(people.member).get(reverse("proposals:list", args=["pay"])).text
    assert "11 Jan 2027, " in listing
