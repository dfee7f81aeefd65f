"""The outbox: what a user's write asks a worker to do survives a broker that refuses."""

import datetime as dt
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from practices.models import OutboxMessage, Role
from practices.outbox import tasks as outbox_tasks
from practices.outbox.services import (
    CLAIM_TIMEOUT,
    OUTBOX_HEADER,
    outbox_enqueue,
    outbox_lease_release,
    outbox_lease_take,
    outbox_relay,
)
from practices.outbox.task import OutboxTask
from practices.teams import tasks
from practices.teams.services import membership_add
from proposals import tasks as proposal_tasks
from proposals.services import proposals as proposal_services
from teamlead.celery import app as celery_app
from tests.proposals.factories import decide, make_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_outbox(people):
    # The fixtures' own writes (a team, its members) left rows nobody published: these
    # tests run no commit callbacks of their own but those they capture.
    OutboxMessage.objects.all().delete()


@pytest.fixture
def broker(monkeypatch):
    """The app's publishing, recorded; ``broker.down = True`` refuses like a dead Redis."""

    class Broker:
        down = False
        published: list[tuple[str, list, dict]] = []
        headers: list[dict] = []

        def send_task(self, name, args=None, kwargs=None, **options):
            if self.down:
                raise OperationalError(
                    "Error 111 connecting to 127.0.0.1:6379. Connection refused."
                )
            self.published.append((name, list(args or []), dict(kwargs or {})))
            self.headers.append(dict(options.get("headers") or {}))

        def deliver(self, index: int = -1, throw: bool = True):
            """Runs a published task as a worker would: with the message's headers."""
            name, args, kwargs = self.published[index]
            return celery_app.tasks[name].apply(
                args=args, kwargs=kwargs, headers=self.headers[index], throw=throw
            )

    fake = Broker()
    fake.published, fake.headers = [], []
    monkeypatch.setattr(celery_app, "send_task", fake.send_task)
    return fake


def test_a_comment_mentioning_someone_is_saved_and_its_email_kept_while_the_broker_is_down(
    people, client_for, broker, django_capture_on_commit_callbacks
):
    proposal = make_proposal(people.team, people.member, open_it=True)
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(people.member).post(
            reverse("proposals:comment", args=["pay", proposal.number]),
            {"body": "What does @senior think?"},
        )
    assert response.status_code == 302
    comment = proposal.comments.get()
    waiting = OutboxMessage.objects.get()
    assert (waiting.task, waiting.args) == (proposal_tasks.notify_mentions.name, [comment.pk])
    assert waiting.claimed_at is None and "Connection refused" in waiting.last_error

    broker.down = False
    assert outbox_relay() == 1
    assert broker.published == [(proposal_tasks.notify_mentions.name, [comment.pk], {})]
    assert OutboxMessage.objects.get().published_at is not None  # kept until the task ran
    broker.deliver()
    assert not OutboxMessage.objects.exists()
    assert [m.to for m in mail.outbox] == [[people.senior.email]]


def test_an_invitation_is_kept_while_the_broker_is_down(
    people, client_for, broker, django_capture_on_commit_callbacks
):
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(people.lead).post(
            reverse("practices:members", args=["pay"]),
            {"email": "newcomer@example.com", "role": "member"},
        )
    assert response.status_code == 302
    assert OutboxMessage.objects.get().task == tasks.send_membership_email.name


def test_a_password_reset_asked_for_while_the_broker_is_down_is_kept_once(
    client, broker, people, django_capture_on_commit_callbacks
):
    broker.down = True
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("password_reset"), {"email": people.member.email})
        assert response.status_code == 302
    waiting = OutboxMessage.objects.get()
    assert (waiting.task, waiting.args) == (
        tasks.send_password_reset_email.name,
        [people.member.pk],
    )


def test_with_the_broker_up_the_task_is_published_at_the_commit_and_the_row_deleted_when_run(
    people, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = outbox_enqueue(task=tasks.send_membership_email, args=[7])
        assert broker.published == []  # nothing leaves before the commit
    assert broker.published == [(tasks.send_membership_email.name, [7], {})]
    assert broker.headers == [{OUTBOX_HEADER: row.pk}]
    assert OutboxMessage.objects.get().published_at is not None
    broker.deliver()
    assert not OutboxMessage.objects.exists()


def test_the_row_rolls_back_with_the_write_that_asked_for_it(broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(task=tasks.send_membership_email, args=[7])
        raise RuntimeError("the write failed")
    assert not OutboxMessage.objects.exists()


def test_a_row_claimed_by_another_publisher_is_left_to_it_until_its_claim_times_out(broker):
    row = outbox_enqueue(task=tasks.send_membership_email, args=[7])
    now = timezone.now()
    OutboxMessage.objects.filter(pk=row.pk).update(claimed_at=now, claim_token="other")
    assert outbox_relay(now=now + dt.timedelta(seconds=5)) == 0
    assert broker.published == []
    assert outbox_relay(now=now + CLAIM_TIMEOUT + dt.timedelta(seconds=1)) == 1
    assert broker.published == [(tasks.send_membership_email.name, [7], {})]
    assert OutboxMessage.objects.filter(claimed_at__isnull=True).count() == 1  # published
    broker.deliver()
    assert not OutboxMessage.objects.exists()


def test_the_relay_stops_at_the_first_refusal_and_keeps_every_row(broker):
    for pk in (1, 2, 3):
        outbox_enqueue(task=tasks.send_membership_email, args=[pk])
    broker.down = True
    assert outbox_relay() == 0
    assert OutboxMessage.objects.filter(claimed_at__isnull=True).count() == 3
    broker.down = False
    assert outbox_relay() == 3
    assert [args for _, args, _ in broker.published] == [[1], [2], [3]]


def test_beat_runs_the_relay_every_half_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["relay-outbox"]
    assert entry["task"] == outbox_tasks.relay_outbox.name
    assert entry["schedule"] <= 60
    assert entry["task"] in celery_app.tasks


# -- A task's outbox row lives until the task ran: crashes and forgetful brokers -------


class Crash(BaseException):
    """The worker dies (SIGKILL): nothing after this runs, no except clause catches it."""


@contextmanager
def worker_killed_once_the_server_took_the_email():
    def took_it_then_died(backend, messages):
        mail.outbox.extend(messages)
        raise Crash

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(locmem.EmailBackend, "send_messages", took_it_then_died)
        yield


def seconds_pass(seconds: float) -> None:
    # The rows' clocks run back instead: the task reads the real time, as a worker does.
    back = dt.timedelta(seconds=seconds)
    OutboxMessage.objects.update(
        published_at=F("published_at") - back, lease_until=F("lease_until") - back
    )


def message_ids(to: str) -> list[str]:
    return [m.message()["Message-ID"] for m in mail.outbox if m.to == [to]]


def _mention(people) -> str:
    proposal = make_proposal(people.team, people.member, open_it=True)
    OutboxMessage.objects.all().delete()
    proposal_services.comment_add(proposal=proposal, author=people.member, body="@senior look")
    return people.senior.email


def _outcome(people) -> str:
    proposal = make_proposal(
        people.team, people.member, approver=people.lead, open_it=True, informed=[people.observer]
    )
    proposal_services.proposal_close_early(proposal=proposal, actor=people.member)
    OutboxMessage.objects.all().delete()
    decide(proposal)
    # Everyone involved gets it, in address order: the driver's copy goes out first.
    return people.member.email


def _approver_asked_to_decide(people) -> str:
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    OutboxMessage.objects.all().delete()
    proposal_services.proposal_close_early(proposal=proposal, actor=people.member)
    return people.lead.email


def _decision_review_due(people) -> str:
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    decide(proposal)
    type(proposal).objects.filter(pk=proposal.pk).update(
        review_on=timezone.localdate(), outcome_notified_at=timezone.now()
    )
    OutboxMessage.objects.all().delete()
    assert proposal_tasks.remind_decision_reviews() == 1
    assert proposal_tasks.remind_decision_reviews() == 1  # an hour later: still one row
    return people.member.email


def _invitation(people) -> str:
    OutboxMessage.objects.all().delete()
    membership_add(team=people.team, email="new@example.com", role=Role.MEMBER, is_senior=False)
    return "new@example.com"


def _password_reset(people) -> str:
    tasks.enqueue_password_reset(people.member.pk)
    return people.member.email


NOTIFICATIONS = {
    "mention": _mention,
    "outcome": _outcome,
    "approver-asked-to-decide": _approver_asked_to_decide,
    "decision-review-due": _decision_review_due,
    "invitation": _invitation,
    "password-reset": _password_reset,
}


@pytest.mark.parametrize("notify", NOTIFICATIONS.values(), ids=NOTIFICATIONS.keys())
def test_a_notification_whose_worker_died_mid_send_is_sent_again_by_the_sweep_with_the_same_message_id(  # noqa: E501
    people, broker, notify
):
    to = notify(people)
    row = OutboxMessage.objects.get()
    assert outbox_relay() == 1
    with worker_killed_once_the_server_took_the_email(), pytest.raises(Crash):
        broker.deliver()
    assert len(message_ids(to)) == 1
    row.refresh_from_db()
    # The lease outlives the send's hard time limit (120 s) by the 30 s margin.
    leased_for = row.lease_until - timezone.now()
    assert dt.timedelta(seconds=140) < leased_for <= dt.timedelta(seconds=150)

    seconds_pass(leased_for.total_seconds() - 2)
    assert outbox_relay() == 0  # the send may still be running
    seconds_pass(3)
    assert outbox_relay() == 1
    broker.deliver()
    first, second = message_ids(to)
    assert first == second
    assert not OutboxMessage.objects.exists()


def test_a_mention_being_sent_is_left_alone_by_the_sweep_and_by_a_second_copy(people, broker):
    to = _mention(people)
    assert outbox_relay() == 1
    row = OutboxMessage.objects.get()
    # Published an hour ago, but a worker has just taken it (a long queue).
    OutboxMessage.objects.filter(pk=row.pk).update(
        published_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert outbox_lease_take(pk=row.pk, seconds=150)
    assert outbox_relay() == 0
    broker.deliver()  # a second copy of the message, while the first runs
    assert message_ids(to) == []
    assert OutboxMessage.objects.get().lease_until is not None


def test_a_mention_sent_is_never_sent_again_by_a_late_copy_or_the_sweep(people, broker):
    to = _mention(people)
    assert outbox_relay() == 1
    broker.deliver()
    assert not OutboxMessage.objects.exists()
    assert outbox_relay(now=timezone.now() + dt.timedelta(days=1)) == 0
    broker.deliver()  # the broker hands over a copy again (a redelivery)
    assert len(message_ids(to)) == 1


def test_a_task_the_broker_forgot_is_published_again_once_it_should_have_started(
    people, broker, settings
):
    _mention(people)
    assert outbox_relay() == 1  # taken by a Redis that then restarted empty
    seconds_pass(settings.OUTBOX_REPUBLISH_SECONDS - 2)
    assert outbox_relay() == 0  # maybe only waiting in a long queue
    seconds_pass(3)
    assert outbox_relay() == 1
    assert broker.headers[0] == broker.headers[1]
    broker.deliver()
    assert [m.to for m in mail.outbox] == [[people.senior.email]]
    assert not OutboxMessage.objects.exists()


def test_a_failed_send_frees_the_lease_for_celerys_retry(people, broker, monkeypatch):
    to = _mention(people)
    assert outbox_relay() == 1
    send = locmem.EmailBackend.send_messages
    refusals = []

    def refuse_once(backend, messages):
        if not refusals:
            refusals.append(messages)
            raise ConnectionError("mail server down")
        return send(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse_once)
    # Eager, Celery runs the retry at once with the same headers: it must find the
    # row free, not leased by the try that failed.
    assert broker.deliver(throw=False).state == "SUCCESS"
    assert len(refusals) == 1 and len(message_ids(to)) == 1
    assert not OutboxMessage.objects.exists()


def test_a_retry_due_later_is_not_published_again_before_then(people, broker):
    _mention(people)
    assert outbox_relay() == 1
    row = OutboxMessage.objects.get()
    assert outbox_lease_take(pk=row.pk, seconds=150)
    outbox_lease_release(pk=row.pk, retry_in=600, error="ConnectionError: down")
    seconds_pass(settings.OUTBOX_REPUBLISH_SECONDS + 1)
    assert outbox_relay() == 0  # Celery's retry is due in ten minutes
    seconds_pass(600)
    assert outbox_relay() == 1


def test_every_task_runs_from_the_outbox_and_still_queues_on_commit():
    ours = [task for name, task in celery_app.tasks.items() if not name.startswith("celery.")]
    assert ours
    assert all(isinstance(task, OutboxTask) for task in ours)
    assert all(hasattr(task, "delay_on_commit") for task in ours)
