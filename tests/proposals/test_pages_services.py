"""Design pages: creating, revising and retiring them through the services."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, close_old_connections, connection, transaction

from proposals.models import DesignPage, DesignPageRevision, Objection, PageStatus, Status, Vote
from proposals.services import pages as services
from tests.factories import UserFactory, make_team
from tests.proposals.test_pages_support import (
    answer,
    edit,
    make_decided_proposal,
    make_design_page,
)

# --- creating ----------------------------------------------------------------------------


def test_pages_are_numbered_per_team(people):
    other = make_team(name="Search", slug="search")
    first = make_design_page(people.team, people.member)
    second = make_design_page(people.team, people.lead)
    elsewhere = make_design_page(other, other.memberships.get().user)
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)


def test_a_new_page_is_a_draft_driven_by_its_creator_with_revision_one(people):
    page = make_design_page(people.team, people.member, title="Cache", body="Line one\n")
    assert page.status == PageStatus.DRAFT
    assert page.driver == people.member
    assert page.version == 1
    revision = page.revisions.get()
    assert revision.number == 1 and revision.author == people.member
    assert revision.text == "# Cache\n\nLine one\n"
    assert ["+", "Line one"] in revision.diff


def test_observers_and_outsiders_cannot_start_a_page(people):
    for user in (people.observer, people.outsider):
        with pytest.raises(PermissionDenied):
            make_design_page(people.team, user)
    assert not DesignPage.objects.exists()


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [("", "x", "title"), ("   ", "x", "title"), ("T", "x" * 200_001, "body")],
)
def test_bad_text_is_refused_with_a_message(people, title, body, field):
    with pytest.raises(ValidationError) as caught:
        make_design_page(people.team, people.member, title=title, body=body)
    assert field in caught.value.error_dict
    assert not DesignPage.objects.exists()


def test_a_body_at_the_limit_is_accepted(people):
    page = make_design_page(people.team, people.member, body="x" * 200_000)
    assert len(page.body) == 200_000


# --- from a decided proposal -------------------------------------------------------------


def test_a_decided_proposal_gets_a_page_from_its_option_rationale_and_action_items(people):
    proposal = make_decided_proposal(people.team, people.lead)
    page, created = services.design_page_create_from_proposal(
        proposal=proposal, author=people.member
    )
    assert created
    assert page.proposal == proposal and page.title == proposal.title
    assert page.driver == people.member
    for text in (
        "Carries out DACI-1",
        "## Decision: Redis",
        "Sessions in Redis.",
        "### Pros",
        "- already run",
        "### Cons",
        "### Cost / effort",
        "2 days",
        "## Rationale",
        "Redis is already **running** in production.",
        "## Action items",
        "- Add a Redis health check (",
        "due 14 Mar 2031",
    ):
        assert text in page.body, text
    assert page.revisions.get().message == "Started from DACI-1."


def test_the_page_quotes_each_block_with_the_approvers_answer(people):
    proposal = make_decided_proposal(people.team, people.lead)
    database = proposal.options.get(position=1)
    Vote.objects.create(proposal=proposal, voter=people.senior)
    Objection.objects.create(
        proposal=proposal, voter=people.senior, option=database, kind="block",
        reason="No failover plan.",
    )  # fmt: skip
    Vote.objects.create(proposal=proposal, voter=people.member, option=database)
    Objection.objects.create(
        proposal=proposal, voter=people.member, option=proposal.options.get(position=0),
        kind="disagree", reason="Too slow.",
    )  # fmt: skip
    proposal.block_answers = {
        f"{people.senior.pk}:{database.pk}": "Sentinel, tested in staging.\nSee the runbook."
    }
    proposal.save(update_fields=["block_answers"])
    page, _ = services.design_page_create_from_proposal(proposal=proposal, author=people.member)
    blocks = page.body.split("## Blocks and their answers", 1)[1].split("## Action items", 1)[0]
    assert (
        f"**{people.senior.get_full_name()}** blocked “{database.title}”: No failover plan."
        in blocks
    )
    assert "> Sentinel, tested in staging.\n> See the runbook." in blocks
    assert people.member.get_full_name() not in blocks, "only blocks are quoted"
    assert "Too slow." not in blocks


def test_a_page_without_blocks_has_no_blocks_section(people):
    proposal = make_decided_proposal(people.team, people.lead)
    page, _ = services.design_page_create_from_proposal(proposal=proposal, author=people.member)
    assert "Blocks" not in page.body


def test_pressing_twice_gives_the_same_page(people):
    proposal = make_decided_proposal(people.team, people.lead)
    first, created = services.design_page_create_from_proposal(
        proposal=proposal, author=people.member
    )
    again, created_again = services.design_page_create_from_proposal(
        proposal=proposal, author=people.lead
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert DesignPage.objects.count() == 1


def test_the_database_allows_one_page_per_proposal(people):
    proposal = make_decided_proposal(people.team, people.lead)
    make_design_page(people.team, people.member, proposal=proposal)
    with pytest.raises(IntegrityError), transaction.atomic():
        DesignPage.objects.create(
            team=people.team, number=99, title="Twin", driver=people.lead, proposal=proposal
        )


@pytest.mark.parametrize("status", [Status.DRAFT, Status.OPEN, Status.DECLINED])
def test_only_a_decided_proposal_gets_a_page(people, status):
    proposal = make_decided_proposal(people.team, people.lead)
    proposal.status = status
    proposal.save(update_fields=["status"])
    with pytest.raises(ValidationError, match="Only a decided proposal"):
        services.design_page_create_from_proposal(proposal=proposal, author=people.member)
    assert not DesignPage.objects.exists()


def test_an_observer_cannot_make_the_page_of_a_proposal(people):
    proposal = make_decided_proposal(people.team, people.lead)
    with pytest.raises(PermissionDenied):
        services.design_page_create_from_proposal(proposal=proposal, author=people.observer)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_clicks_make_one_page(people):
    proposal = make_decided_proposal(people.team, people.lead)
    barrier = threading.Barrier(6)
    results, errors = [], []

    def click():
        try:
            barrier.wait()
            results.append(
                services.design_page_create_from_proposal(proposal=proposal, author=people.member)
            )
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert DesignPage.objects.filter(proposal=proposal).count() == 1
    assert len({page.pk for page, _ in results}) == 1
    assert sum(created for _, created in results) == 1


# --- revising ------------------------------------------------------------------------------


def test_an_edit_saves_the_next_revision_with_its_diff(people):
    page = make_design_page(people.team, people.member, body="one\ntwo\n")
    revision = edit(page, people.member, "one\nthree\n")
    page.refresh_from_db()
    assert (page.version, revision.number) == (2, 2)
    assert page.body == "one\nthree\n" and page.updated_by == people.member
    assert ["-", "two"] in revision.diff and ["+", "three"] in revision.diff
    assert revision.text == "# Session store\n\none\nthree\n"


def test_a_title_change_shows_in_the_diff(people):
    page = make_design_page(people.team, people.member, title="Old")
    revision = edit(page, people.member, page.body, title="New")
    assert ["-", "# Old"] in revision.diff and ["+", "# New"] in revision.diff


def test_a_stale_edit_is_refused_and_overwrites_nothing(people):
    page = make_design_page(people.team, people.member, body="base\n")
    services.design_page_update(
        page=page, author=people.lead, title=page.title, body="lead's\n", expected_version=1
    )
    stale = DesignPage.objects.get(pk=page.pk)
    with pytest.raises(services.PageConflict) as caught:
        services.design_page_update(
            page=stale, author=people.member, title=page.title, body="mine\n", expected_version=1
        )
    assert caught.value.page.version == 2
    page.refresh_from_db()
    assert page.body == "lead's\n" and page.version == 2
    assert page.revisions.count() == 2


def test_the_driver_and_leads_edit_others_do_not(people):
    page = make_design_page(people.team, people.member)
    edit(page, people.lead, "by the lead")
    for user in (people.senior, people.observer, people.outsider):
        with pytest.raises(PermissionDenied):
            edit(page, user, f"by {user.email}")
    page.refresh_from_db()
    assert page.body == "by the lead"


def test_saving_without_a_change_makes_no_revision(people):
    page = make_design_page(people.team, people.member, body="same")
    with pytest.raises(ValidationError, match="Nothing changed since revision #1"):
        edit(page, people.member, "same")
    page.refresh_from_db()
    assert page.version == 1 and page.revisions.count() == 1


def test_an_obsolete_page_is_kept_as_it_was(people):
    page = make_design_page(people.team, people.member, body="old")
    services.design_page_mark_obsolete(page=page, actor=people.member)
    with pytest.raises(ValidationError, match="obsolete"):
        edit(page, people.member, "new")
    page.refresh_from_db()
    assert page.body == "old" and page.version == 1


def test_a_revision_of_an_approved_page_sends_it_back_to_review(people):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    answer(page, people.senior)
    page.refresh_from_db()
    assert page.status == PageStatus.APPROVED
    edit(page, people.member, "A change after approval.")
    page.refresh_from_db()
    assert page.status == PageStatus.IN_REVIEW
    # The old approval is about revision 1: the senior answers again for revision 2.
    answer(page, people.senior)
    page.refresh_from_db()
    assert page.status == PageStatus.APPROVED


# --- retiring ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(PageStatus.values[:-1]))
def test_the_driver_marks_a_page_obsolete_from_any_status(people, status):
    page = make_design_page(people.team, people.member)
    DesignPage.objects.filter(pk=page.pk).update(status=status)
    services.design_page_mark_obsolete(page=page, actor=people.member)
    page.refresh_from_db()
    assert page.status == PageStatus.OBSOLETE


def test_a_lead_marks_a_page_obsolete_others_may_not(people):
    page = make_design_page(people.team, people.member)
    for user in (people.senior, people.observer, UserFactory()):
        with pytest.raises(PermissionDenied):
            services.design_page_mark_obsolete(page=page, actor=user)
    services.design_page_mark_obsolete(page=page, actor=people.lead)
    with pytest.raises(ValidationError, match="already obsolete"):
        services.design_page_mark_obsolete(page=page, actor=people.lead)
    assert DesignPageRevision.objects.filter(page=page).count() == 1
