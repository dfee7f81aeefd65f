"""The outbox: what a user's write asks a worker to do survives a broker that refuses."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from practices import tasks
from practices.models import OutboxMessage
from practices.outbox.services import CLAIM_TIMEOUT, OUTBOX_HEADER, outbox_enqueue, outbox_relay
from proposals import tasks as proposal_tasks
from teamlead.celery import app as celery_app
from tests.proposals.factories import make_proposal

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

        def deliver(self, index: int = -1):
            """Runs a published task as a worker would: with the message's headers."""
            name, args, kwargs = self.published[index]
            return celery_app.tasks[name].apply(
                args=args, kwargs=kwargs, headers=self.headers[index], throw=True
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
    assert entry["task"] == tasks.relay_outbox.name
    assert entry["schedule"] <= 60
    assert entry["task"] in celery_app.tasks
