"""A reminder whose subject carries a title stored with line breaks is still sent."""

import datetime as dt
from datetime import UTC

from django.core import mail

from practices.reminders import tasks
from practices.reminders.planner import reminder_plan
from proposals.models import Proposal
from tests.proposals.factories import make_proposal


def test_a_vote_reminder_for_a_title_stored_with_line_breaks_is_sent_on_one_line(people, clock):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True, days=3)
    # As stored before forms folded line breaks: written straight to the database.
    Proposal.objects.filter(pk=proposal.pk).update(title="Move sessions\r\nBcc: x@example.com")
    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    plan = reminder_plan()
    for pk in plan.send_ids:
        tasks.send_reminder(pk)  # the worker's task, as beat queues it
    # The member and the senior: nobody voted; the lead approves, and approvers do not vote.
    assert len(mail.outbox) == 2
    for sent in mail.outbox:
        subject = sent.message()["Subject"]
        assert (
            subject == "[PAY] Vote by Thu 5 Mar at 10:00: DACI-1 Move sessions Bcc: x@example.com"
        )
        assert sent.message()["Bcc"] is None
