"""Faults, for real: a private Redis broker stopped under a user's request, and a worker
SIGKILLed while the mail server holds back its "250". Slow: marked ``faults``."""

import datetime as dt
import email
import socket
import subprocess
import threading
import time
from email import policy

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from practices.models import OutboxMessage, Reminder, ReminderState
from practices.reminders import tasks as reminder_tasks
from practices.teams import tasks as team_tasks
from proposals import tasks as proposal_tasks
from proposals.services import proposals as proposal_services
from teamlead.celery import app as celery_app
from tests.proposals.factories import make_proposal
from tests.reminders.helpers import make_retro
from tests.reminders.test_worker import kill_hard
from tests.worker import read_mail, running_worker, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own on a free port: no disk, stopped and started at will."""

    def __init__(self, tmp_path) -> None:
        self.port = free_port()
        self.dir = tmp_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10, what=f"redis on {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        wait_for(lambda: not self._answers(), timeout=10, what="redis to stop")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def _use_broker(url: str, options: dict) -> None:
    # The app's connection pools were made for the session's broker: let go of them
    # (kombu keeps them per address, open, for when the session's broker is back).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.update(broker_url=url, broker_transport_options=options)


@pytest.fixture
def private_broker(tmp_path, celery_broker):
    redis = PrivateRedis(tmp_path)
    redis.start()
    _use_broker(redis.url, {"visibility_timeout": 3600, "socket_connect_timeout": 3})
    yield redis
    redis.stop()
    _use_broker(celery_broker["broker_url"], celery_broker["broker_transport_options"])


def test_with_the_broker_down_a_comment_and_an_invitation_succeed_and_mail_once_it_is_back(
    people, client_for, private_broker, tmp_path
):
    proposal = make_proposal(people.team, people.member, open_it=True)
    OutboxMessage.objects.all().delete()  # what the fixtures queued is not the point
    private_broker.stop()

    started = time.monotonic()
    comment = client_for(people.member).post(
        reverse("proposals:comment", args=["pay", proposal.number]),
        {"body": "What does @senior think?"},
    )
    invite = client_for(people.lead).post(
        reverse("practices:members", args=["pay"]),
        {"email": "newcomer@example.com", "role": "member"},
    )
    seconds = time.monotonic() - started
    assert (comment.status_code, invite.status_code) == (302, 302)
    assert seconds < 10, f"two requests took {seconds:.1f}s with the broker down"
    assert sorted(OutboxMessage.objects.values_list("task", flat=True)) == sorted(
        [proposal_tasks.notify_mentions.name, team_tasks.send_membership_email.name]
    )

    private_broker.start()  # empty: whatever it held before is gone
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {"CELERY_BROKER_URL": private_broker.url, "OUTBOX_RELAY_SECONDS": "1"}
    with running_worker({"broker_url": private_broker.url}, mail_dir, beat=True, env=env):
        wait_for(lambda: len(read_mail(mail_dir)) >= 2, timeout=60, what="two emails")
        wait_for(lambda: not OutboxMessage.objects.exists(), timeout=10, what="an empty outbox")
        time.sleep(3)  # a few more relay ticks: nothing more goes out
    sent = sorted((m["To"], m["Subject"]) for m in read_mail(mail_dir))
    assert sent == [
        ("newcomer@example.com", "[PAY] You are invited to Payments on Teamlead"),
        ("senior@example.com", "[PAY] DACI-1 you were mentioned: Move sessions to Redis"),
    ]


class StallingMailServer:
    """A small SMTP server on 127.0.0.1 that records each message at its final "." and,
    while ``stall`` is set, never answers it: the sender waits for a "250" that never
    comes, as when a worker dies with the message already at the server."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stall = True
        self.received: list[email.message.EmailMessage] = []
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.sockets.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            conn.sendall(b"220 test ESMTP\r\n")
            for line in reader:
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    conn.sendall(b"250 test\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    data = b""
                    for part in reader:
                        if part == b".\r\n":
                            break
                        data += part[1:] if part.startswith(b"..") else part
                    self.received.append(email.message_from_bytes(data, policy=policy.default))
                    if self.stall:
                        return  # hold the connection open, never say 250
                    conn.sendall(b"250 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # MAIL, RCPT, RSET, NOOP
                    conn.sendall(b"250 ok\r\n")
        except OSError:
            return

    def close(self) -> None:
        self.server.close()
        for conn in self.sockets:
            conn.close()


def test_a_reminder_resent_after_the_worker_died_awaiting_250_has_the_same_message_id(
    people, celery_broker, tmp_path, settings
):
    settings.REMINDER_CLAIM_TIMEOUT = 3
    make_retro(people.team, starts_at=timezone.now() + dt.timedelta(days=1))
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    server = StallingMailServer()
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{server.port}", "REMINDER_CLAIM_TIMEOUT": "3"}
    try:
        with running_worker(celery_broker, mail_dir, env=env) as worker:
            reminder_tasks.plan_reminders.delay()
            wait_for(lambda: server.received, timeout=60, what="a message at the server")
            kill_hard(worker)
        first = server.received[0]
        stuck = Reminder.objects.get(user__email=first["To"])
        assert stuck.state == ReminderState.PENDING  # the server has it; we never heard 250

        server.stall = False
        time.sleep(3.5)  # the claim times out
        with running_worker(celery_broker, mail_dir, env=env):
            reminder_tasks.plan_reminders.delay()
            wait_for(
                lambda: Reminder.objects.filter(state=ReminderState.SENT).count() == 3,
                timeout=60,
                what="three reminders sent",
            )
    finally:
        server.close()
    copies = [m for m in server.received if m["To"] == first["To"]]
    assert len(copies) == 2
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert copies[0]["Message-ID"].startswith(f"<reminder-{stuck.pk}-")
    assert sorted(m["To"] for m in server.received) == sorted(
        ["lead@example.com", "member@example.com", "senior@example.com", first["To"]]
    )


def test_a_mention_whose_worker_died_awaiting_250_is_sent_once_more_by_the_sweep(
    people, celery_broker, tmp_path
):
    proposal = make_proposal(people.team, people.member, open_it=True)
    OutboxMessage.objects.all().delete()  # what the fixtures queued is not the point
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    server = StallingMailServer()
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{server.port}", "OUTBOX_RELAY_SECONDS": "1"}
    try:
        with running_worker(celery_broker, mail_dir, env=env) as worker:
            comment = proposal_services.comment_add(
                proposal=proposal, author=people.member, body="What does @senior think?"
            )
            wait_for(lambda: server.received, timeout=60, what="a message at the server")
            kill_hard(worker)
        comment.refresh_from_db()
        assert comment.mentions_notified_at is None  # the server has it; we never heard 250
        leased = OutboxMessage.objects.get()
        assert leased.lease_until > timezone.now()

        server.stall = False
        with running_worker(celery_broker, mail_dir, beat=True, env=env):
            time.sleep(4)  # a few relay ticks: the lease may still be a live send's
            assert len(server.received) == 1
            # The send's hard time limit and the margin pass (the row's clock runs back).
            back = dt.timedelta(seconds=leased.lease_until.timestamp() - time.time() + 1)
            OutboxMessage.objects.update(
                lease_until=F("lease_until") - back, published_at=F("published_at") - back
            )
            wait_for(lambda: len(server.received) == 2, timeout=60, what="the resend")
            wait_for(lambda: not OutboxMessage.objects.exists(), timeout=10, what="done")
            time.sleep(3)  # more relay ticks: nothing more goes out
    finally:
        server.close()
    comment.refresh_from_db()
    assert comment.mentions_notified_at is not None
    first, second = server.received
    assert first["To"] == second["To"] == people.senior.email
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<mention-{comment.pk}-")
