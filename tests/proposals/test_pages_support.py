"""Helpers that build design pages the way the app does, for the page tests and the matrix.

(Named ``test_*`` only to sit beside the tests it serves; it holds no tests itself.)
"""

import datetime as dt

from django.utils import timezone

from practices.models import CharterSection
from proposals.models import ActionItem, Option, Proposal, Status
from proposals.services import pages as services

HTMX = {"HTTP_HX_REQUEST": "true"}


def make_design_page(team, driver, *, title="Session store", body="We keep sessions in Redis.",
                     reviewers=(), proposal=None):  # fmt: skip
    """A page made through the services: started by ``driver``, reviewers asked if given."""
    page = services.design_page_create(
        team=team, author=driver, title=title, body=body, proposal=proposal
    )
    if reviewers:
        services.design_page_request_review(
            page=page, actor=driver, reviewer_ids=[user.pk for user in reviewers]
        )
        page.refresh_from_db()
    return page


def make_decided_proposal(team, driver, *, approver=None, number=None, title="Move to Redis"):
    """A decided proposal with a chosen option, a rationale and an action item.

    Built directly so that the page tests do not depend on the proposal workflow.
    """
    approver = approver or driver
    number = number or (Proposal.objects.filter(team=team).count() + 1)
    proposal = Proposal.objects.create(
        team=team, number=number, title=title, status=Status.DECIDED, driver=driver,
        approver=approver, created_by=driver, due_at=timezone.now() - dt.timedelta(days=1),
        rationale="Redis is already **running** in production.", decided_by=approver,
        decided_at=timezone.now(),
    )  # fmt: skip
    chosen = Option.objects.create(
        proposal=proposal, position=0, title="Redis", description="Sessions in Redis.",
        pros="- fast\n- already run", cons="- one more thing to monitor", cost="2 days",
    )  # fmt: skip
    Option.objects.create(proposal=proposal, position=1, title="Database", description="Keep it.")
    proposal.chosen_option = chosen
    proposal.save(update_fields=["chosen_option"])
    ActionItem.objects.create(
        proposal=proposal, text="Add a Redis health check", owner=driver,
        due_on=dt.date(2031, 3, 14),
    )  # fmt: skip
    return proposal


def set_review_policy(team, **data):
    """Sets the team charter's code review section (stored data, as the charter saves it)."""
    section = CharterSection.objects.get(team=team, key="code_review")
    section.data = {**section.data, **data}
    section.save(update_fields=["data"])


def edit(page, author, body, *, title=None):
    """A new revision of ``page`` through the service, from its current version."""
    page.refresh_from_db()
    return services.design_page_update(
        page=page, author=author, title=title or page.title, body=body,
        expected_version=page.version,
    )  # fmt: skip


def answer(page, reviewer, *, approve=True, comment="", version=None):
    page.refresh_from_db()
    return services.design_page_review(
        page=page, reviewer=reviewer, approve=approve, comment=comment,
        version=page.version if version is None else version,
    )  # fmt: skip
