import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from practices.charter import services
from practices.models import CharterRevision, CharterSection
from tests.charter_posts import retros_post, rows_post

HTMX = {"HTTP_HX_REQUEST": "true"}


def edit_url(team, key="retros"):
    return reverse("practices:charter_section_edit", args=[team.slug, key])


def section(team, key="retros"):
    return CharterSection.objects.get(team=team, key=key)


# --- reading ---------------------------------------------------------------------------


def test_charter_shows_every_section_with_defaults(people, client_for):
    response = client_for(people.observer).get(reverse("practices:charter", args=["pay"]))
    assert response.status_code == 200
    for title in [
        "How we plan and deliver",
        "Priority rules",
        "Technical stack",
        "Architecture notes",
        "Non-functional requirements",
        "Internal milestones",
        "Service level indicators",
        "Rollout schedule",
        "Communication",
        "Split of work",
        "Code review",
        "Retrospectives",
    ]:
        assert title in response.text
    assert "Every 2 weeks on Thursday at 15:00 (Europe/Berlin), 60 minutes" in response.text
    assert "Defaults — not agreed by the team yet." in response.text


def test_members_and_observers_see_no_edit_button(people, client_for):
    for user in (people.member, people.observer):
        response = client_for(user).get(reverse("practices:charter", args=["pay"]))
        assert edit_url(people.team) not in response.text


def test_leads_see_an_edit_button_per_section(people, client_for):
    response = client_for(people.lead).get(reverse("practices:charter", args=["pay"]))
    assert response.text.count('hx-get="/t/pay/charter/') == 12


# --- editing ---------------------------------------------------------------------------


def test_edit_form_is_a_fragment_for_htmx_and_a_page_without(people, client_for):
    client = client_for(people.lead)
    fragment = client.get(edit_url(people.team), **HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'name="every_weeks"' in fragment.text
    page = client.get(edit_url(people.team))
    assert "<html" in page.text and 'name="every_weeks"' in page.text
    assert fragment["Vary"] and "HX-Request" in fragment["Vary"]


def test_lead_saves_a_section_in_place_with_htmx(people, client_for):
    response = client_for(people.lead).post(edit_url(people.team), retros_post(), **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Every 3 weeks on Friday at 10:30 (Europe/Berlin), 45 minutes" in response.text
    assert "Saved." in response.text
    stored = section(people.team)
    assert stored.version == 1
    assert stored.data["every_weeks"] == 3
    assert stored.data["start_time"] == "10:30"
    revision = stored.revisions.get()
    assert revision.author == people.lead
    assert revision.message == "Fewer, longer retros"
    assert ["+", "Every: 3 weeks"] in revision.diff
    assert ["-", "Every: 2 weeks"] in revision.diff


def test_save_without_javascript_redirects_to_the_section(people, client_for):
    response = client_for(people.lead).post(edit_url(people.team), retros_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("practices:charter", args=["pay"]) + "#retros"
    assert section(people.team).version == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("every_weeks", "9", "Pick a whole number of weeks from 1 to 8"),
        ("every_weeks", "0", "Pick a whole number of weeks from 1 to 8"),
        ("every_weeks", "two", "Pick a whole number of weeks from 1 to 8"),
        ("every_weeks", "", "This field is required"),
        ("weekday", "7", "Select a valid choice"),
        ("start_time", "25:99", "Enter a valid time"),
        ("time_zone", "Mars/Olympus", "is not a time zone we know"),
        ("duration_minutes", "5", "from 15 to 480"),
        ("notes", "x" * 1_000_000, "at most 20000 characters"),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_kept(people, client_for, field, value, message):
    post = retros_post(**{field: value})
    response = client_for(people.lead).post(edit_url(people.team), post, **HTMX)
    assert response.status_code == 200
    assert message in response.text
    assert 'class="field has-error' in response.text
    # What the user typed in the other fields is still there.
    assert "Bring one thing that went well." in response.text or field == "notes"
    assert section(people.team).version == 0
    assert not CharterRevision.objects.exists()


def test_iteration_length_must_be_between_1_and_42_days(people, client_for):
    post = {"version": "0", "iteration_length_days": "43", "mid_iteration_changes": "accepted"}
    response = client_for(people.lead).post(edit_url(people.team, "methodology"), post, **HTMX)
    assert "Pick a whole number of days from 1 to 42" in response.text
    assert section(people.team, "methodology").version == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"kind": "approvals", "required_approvals": "0"}, "required_approvals", "at least 1"),
        (
            {"kind": "self_after_cooldown", "cooldown_hours": "0"},
            "cooldown_hours",
            "at least 1 hour",
        ),
        ({"kind": "consensus", "default_reviewers": ""}, "default_reviewers", "Name the default"),
        ({"turnaround_hours": "169"}, "turnaround_hours", "from 1 to 168"),
    ],
)
def test_code_review_policy_rules(people, client_for, overrides, field, message):
    post = {
        "version": "0",
        "kind": "approvals",
        "required_approvals": "2",
        "cooldown_hours": "0",
        "turnaround_hours": "24",
        **overrides,
    }
    response = client_for(people.lead).post(edit_url(people.team, "code_review"), post, **HTMX)
    assert message in response.text
    assert section(people.team, "code_review").version == 0


def test_code_review_policy_is_stored_as_structured_data(people, client_for):
    post = {
        "version": "0",
        "kind": "approvals",
        "required_approvals": "2",
        "seniors_only": "on",
        "cooldown_hours": "0",
        "turnaround_hours": "8",
        "default_reviewers": "ana, bo, ana",
    }
    client_for(people.lead).post(edit_url(people.team, "code_review"), post, **HTMX)
    data = section(people.team, "code_review").data
    assert data["required_approvals"] == 2
    assert data["seniors_only"] is True
    assert data["turnaround_hours"] == 8
    assert data["default_reviewers"] == ["ana", "bo"]


def test_script_tags_in_markdown_are_neutralised_on_the_page(people, client_for):
    client = client_for(people.lead)
    post = {"version": "0", "body": "Hello <script>alert('x')</script> [x](javascript:alert(1))"}
    client.post(edit_url(people.team, "architecture"), post, **HTMX)
    page = client.get(reverse("practices:charter", args=["pay"]))
    assert "<script>alert" not in page.text
    assert 'href="javascript:' not in page.text
    assert "&lt;script&gt;" in page.text


def test_script_tags_in_plain_fields_are_escaped(people, client_for):
    client = client_for(people.lead)
    rows = [{"ticket_type": "<script>alert(1)</script>", "component": "", "rule": "<b>now</b>"}]
    client.post(edit_url(people.team, "priorities"), rows_post(rows), **HTMX)
    page = client.get(reverse("practices:charter", args=["pay"]))
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<b>now</b>" not in page.text


def test_priority_rules_are_added_and_deleted_as_rows(people, client_for):
    client = client_for(people.lead)
    rows = [
        {"ticket_type": "Bug", "component": "Billing", "rule": "Fix immediately"},
        {"ticket_type": "Security", "component": "", "rule": "Next in line"},
    ]
    client.post(edit_url(people.team, "priorities"), rows_post(rows), **HTMX)
    stored = section(people.team, "priorities")
    assert stored.data["rows"] == [
        {"ticket_type": "Bug", "component": "Billing", "rule": "Fix immediately"},
        {"ticket_type": "Security", "component": "", "rule": "Next in line"},
    ]
    rows[0]["DELETE"] = "on"
    client.post(edit_url(people.team, "priorities"), rows_post(rows, version=1), **HTMX)
    assert section(people.team, "priorities").data["rows"] == [
        {"ticket_type": "Security", "component": "", "rule": "Next in line"}
    ]


def test_a_half_filled_row_is_refused(people, client_for):
    rows = [{"ticket_type": "Bug", "component": "", "rule": ""}]
    response = client_for(people.lead).post(
        edit_url(people.team, "priorities"), rows_post(rows), **HTMX
    )
    assert "This field is required" in response.text
    assert section(people.team, "priorities").version == 0


def test_too_many_rows_are_refused(people, client_for):
    rows = [{"ticket_type": f"T{i}", "component": "", "rule": "r"} for i in range(51)]
    response = client_for(people.lead).post(
        edit_url(people.team, "slis"), rows_post(rows, extra_blank=0), **HTMX
    )
    assert response.status_code == 200
    assert section(people.team, "slis").version == 0


def test_milestones_are_stored_with_iso_dates_and_shown_in_date_order(people, client_for):
    client = client_for(people.lead)
    rows = [
        {"name": "GA", "target_date": "2027-03-01", "deliverable": "All users", "done": ""},
        {"name": "Beta", "target_date": "2027-01-15", "deliverable": "5%", "done": "on"},
    ]
    client.post(edit_url(people.team, "milestones"), rows_post(rows), **HTMX)
    data = section(people.team, "milestones").data
    assert data["rows"][0]["target_date"] == "2027-03-01"
    page = client.get(reverse("practices:charter", args=["pay"])).text
    # Only the section itself: "GA" may well occur in the page's random CSRF token.
    milestones = page.split('<section id="milestones"', 1)[1].split("</section>", 1)[0]
    assert milestones.index(">Beta<") < milestones.index(">GA<")


def test_a_malformed_date_is_refused(people, client_for):
    rows = [{"name": "GA", "target_date": "next tuesday", "deliverable": "", "done": ""}]
    response = client_for(people.lead).post(
        edit_url(people.team, "milestones"), rows_post(rows), **HTMX
    )
    assert "Enter a valid date" in response.text


def test_unknown_section_is_404(people, client_for):
    response = client_for(people.lead).get(edit_url(people.team, "nope"))
    assert response.status_code == 404


def test_a_forged_version_field_is_refused(people, client_for):
    response = client_for(people.lead).post(
        edit_url(people.team), retros_post(version="-1"), **HTMX
    )
    assert response.status_code == 200
    assert section(people.team).version == 0


# --- optimistic locking ----------------------------------------------------------------


def test_second_save_from_a_stale_form_is_refused_and_shows_their_change(people, client_for):
    team = people.team
    # Someone else (another lead) saves first, from version 0.
    services.charter_section_update(
        section=section(team),
        data={**section(team).data, "every_weeks": 4},
        expected_version=0,
        author=people.senior,
        message="Monthly is enough",
    )
    response = client_for(people.lead).post(edit_url(team), retros_post(version=0), **HTMX)
    assert response.status_code == 200
    assert "Someone else saved this section" in response.text
    assert "Monthly is enough" in response.text
    assert "Every: 4 weeks" in response.text  # their change
    assert 'value="3"' in response.text  # yours, kept in the form
    assert 'name="version" value="1"' in response.text
    stored = section(team)
    assert stored.version == 1 and stored.data["every_weeks"] == 4
    # Saving again from the reconciled form wins.
    again = client_for(people.lead).post(edit_url(team), retros_post(version=1), **HTMX)
    assert "Every 3 weeks" in again.text
    assert section(team).version == 2


def test_the_service_refuses_a_stale_version(people):
    stored = section(people.team)
    services.charter_section_update(
        section=stored,
        data={**stored.data, "every_weeks": 5},
        expected_version=0,
        author=people.lead,
    )
    with pytest.raises(services.CharterConflict):
        services.charter_section_update(
            section=section(people.team), data={}, expected_version=0, author=people.lead
        )
    assert CharterRevision.objects.count() == 1


# --- query counts ----------------------------------------------------------------------


def make_revisions(team, author, count):
    """``count`` more revisions: the first few through the service, the rest in bulk alike."""
    stored = section(team, "methodology")
    for i in range(min(count, 3)):
        data = {**stored.data, "planning": f"Plan number {i}"}
        services.charter_section_update(
            section=stored, data=data, expected_version=stored.version, author=author
        )
    model = stored.revisions.order_by("-number").first()
    extra = [
        CharterRevision(
            team=team,
            section=stored,
            section_key=stored.key,
            number=stored.version + i + 1,
            data=model.data,
            text=model.text,
            diff=model.diff,
            message=f"bulk {i}",
            author=author,
            created_at=model.created_at,
        )
        for i in range(count - 3)
    ]
    CharterRevision.objects.bulk_create(extra)
    CharterSection.objects.filter(pk=stored.pk).update(version=stored.version + len(extra))


@pytest.mark.parametrize("page", ["practices:charter", "practices:charter_history"])
def test_page_queries_do_not_grow_with_revisions(people, client_for, page):
    client = client_for(people.member)
    url = reverse(page, args=["pay"])
    make_revisions(people.team, people.lead, 5)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    make_revisions(people.team, people.lead, 995)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(few) == len(many)
    assert len(many) <= 8


def test_saving_without_a_change_writes_no_revision(people, client_for):
    client = client_for(people.lead)
    client.post(edit_url(people.team), retros_post(), **HTMX)
    response = client.post(edit_url(people.team), retros_post(version=1), **HTMX)
    assert "Nothing changed." in response.text
    assert section(people.team).version == 1
    assert CharterRevision.objects.count() == 1
    page = client.post(edit_url(people.team), retros_post(version=1), follow=True)
    assert "no revision was written" in page.text
