"""Beat's heartbeat: /healthz and the leads' banner report a scheduler that stopped."""

import datetime as dt
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from practices.models import Heartbeat
from practices.reminders import tasks


@pytest.mark.django_db
def test_a_fresh_install_without_any_heartbeat_is_healthy():
    response = Client().get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "scheduler": "ok",
    }


@pytest.mark.django_db
def test_healthz_fails_when_beat_has_not_ticked_for_15_minutes():
    Heartbeat.objects.create(name="beat", ticked_at=timezone.now() - dt.timedelta(minutes=16))
    response = Client().get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["scheduler"].startswith("error: beat has not ticked since")


@pytest.mark.django_db
def test_a_tick_makes_it_healthy_again():
    Heartbeat.objects.create(name="beat", ticked_at=timezone.now() - dt.timedelta(hours=2))
    tasks.beat_heartbeat()
    assert Client().get(reverse("healthz")).status_code == 200


@pytest.mark.django_db
def test_healthz_fails_when_the_broker_is_unreachable():
    with mock.patch("teamlead.views._check_broker", side_effect=ConnectionRefusedError):
        response = Client().get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["broker"] == "error: ConnectionRefusedError"


def test_leads_see_a_banner_when_beat_stopped_and_members_do_not(people, client_for):
    Heartbeat.objects.create(name="beat", ticked_at=timezone.now() - dt.timedelta(minutes=20))
    page = reverse("practices:charter", args=["pay"])
    assert b"Reminders are not going out" in client_for(people.lead).get(page).content
    assert b"Reminders are not going out" not in client_for(people.member).get(page).content


def test_no_banner_while_beat_ticks(people, client_for):
    tasks.beat_heartbeat()
    page = reverse("practices:charter", args=["pay"])
    assert b"Reminders are not going out" not in client_for(people.lead).get(page).content
