"""Reminders through a real Celery worker: exactly one email per member, even after a kill."""

import datetime as dt
import os
import re
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from django.utils import timezone

from practices.models import Reminder, ReminderState
from practices.reminders import tasks
from tests.reminders.helpers import make_retro
from tests.worker import read_mail, running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def recipients(mail_dir: Path) -> list[str]:
    return sorted(message["To"] for message in read_mail(mail_dir))


def test_a_due_retro_mails_each_member_once_despite_reruns_and_redelivery(
    people, celery_broker, tmp_path
):
    make_retro(people.team, starts_at=timezone.now() + dt.timedelta(days=1))
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    with running_worker(celery_broker, mail_dir) as worker:
        tasks.plan_reminders.delay()
        wait_for(lambda: len(recipients(mail_dir)) == 3, timeout=60, what="three emails")
        # The planner again, and every send task delivered a second time.
        tasks.plan_reminders.delay()
        for pk in Reminder.objects.values_list("pk", flat=True):
            tasks.send_reminder.delay(pk)
        wait_for(
            lambda: worker.log.read_text().count("practices.tasks.send_reminder[") >= 6 * 2,
            timeout=60,
            what="the repeated sends to finish",
        )
        time.sleep(1)
    assert recipients(mail_dir) == ["lead@example.com", "member@example.com", "senior@example.com"]
    assert set(Reminder.objects.values_list("state", flat=True)) == {ReminderState.SENT}


class SilentMailServer:
    """Accepts connections and never answers: a send hangs right after its claim."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.server.close()
        for conn in self.connections:
            conn.close()


def kill_hard(process) -> None:
    """SIGKILL the worker's pool children and the worker itself: nothing cleans up."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    for child in children:
        os.kill(int(child), signal.SIGKILL)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def test_killing_the_worker_between_claim_and_send_still_mails_each_member_once(
    people, celery_broker, tmp_path, settings
):
    settings.REMINDER_CLAIM_TIMEOUT = 3
    make_retro(people.team, starts_at=timezone.now() + dt.timedelta(days=1))
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    silent = SilentMailServer()
    hanging = {"EMAIL_URL": f"smtp://127.0.0.1:{silent.port}", "REMINDER_CLAIM_TIMEOUT": "3"}
    try:
        with running_worker(celery_broker, mail_dir, env=hanging) as worker:
            tasks.plan_reminders.delay()
            wait_for(
                lambda: Reminder.objects.filter(claimed_at__isnull=False).exists(),
                timeout=60,
                what="a claimed reminder",
            )
            wait_for(lambda: silent.connections, timeout=10, what="the send to reach SMTP")
            kill_hard(worker)
    finally:
        silent.close()
    claimed = Reminder.objects.get(claimed_at__isnull=False)
    assert claimed.state == ReminderState.PENDING  # claimed, never sent
    assert not any(mail_dir.iterdir())

    time.sleep(3.5)  # the claim times out
    with running_worker(celery_broker, mail_dir, env={"REMINDER_CLAIM_TIMEOUT": "3"}):
        tasks.plan_reminders.delay()
        wait_for(lambda: len(recipients(mail_dir)) == 3, timeout=60, what="three emails")
        # Later runs find nothing more to send.
        tasks.plan_reminders.delay()
        time.sleep(4)
        tasks.plan_reminders.delay()
        time.sleep(2)
    assert recipients(mail_dir) == ["lead@example.com", "member@example.com", "senior@example.com"]
    assert set(Reminder.objects.values_list("state", flat=True)) == {ReminderState.SENT}
    assert Reminder.objects.get(pk=claimed.pk).attempts == 2


def finished(worker, task: str) -> int:
    """How many runs of ``task`` the worker has finished, from its log."""
    return len(
        re.findall(rf"Task practices\.tasks\.{task}\[[^]]+\] succeeded", worker.log.read_text())
    )


def test_beat_alone_mails_each_member_of_a_due_retro_once_however_often_it_plans(
    people, celery_broker, tmp_path
):
    make_retro(people.team, starts_at=timezone.now() + dt.timedelta(days=1))
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    # Beat plans every second instead of every two minutes; nobody calls the planner here.
    every_second = {"REMINDER_PLAN_SECONDS": "1"}
    with running_worker(celery_broker, mail_dir, beat=True, env=every_second) as worker:
        wait_for(lambda: len(recipients(mail_dir)) == 3, timeout=20, what="three emails")
        wait_for(lambda: finished(worker, "send_reminder") == 3, timeout=5, what="three sends")
        runs = finished(worker, "plan_reminders")
        wait_for(
            lambda: finished(worker, "plan_reminders") >= runs + 3,
            timeout=15,
            what="three more planner runs by beat",
        )
    assert "Scheduler: Sending due task plan-reminders" in worker.log.read_text()
    assert recipients(mail_dir) == ["lead@example.com", "member@example.com", "senior@example.com"]
    assert finished(worker, "send_reminder") == 3
    assert set(Reminder.objects.values_list("state", flat=True)) == {ReminderState.SENT}
