"""What the console shows for an expected refusal: one line, no traceback."""

import logging

import pytest
from django.urls import reverse

from tests.factories import UserFactory, add_member, make_team


def _handlers_reached(name: str) -> list[logging.Handler]:
    """The handlers a record logged at ``name`` is printed by (propagation included)."""
    logger, handlers = logging.getLogger(name), []
    while logger:
        handlers += logger.handlers
        logger = logger.parent if logger.propagate else None
    return handlers


@pytest.mark.django_db
def test_an_expected_403_is_logged_once_on_one_line(client, caplog):
    team = make_team()
    client.force_login(add_member(team, UserFactory()))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("practices:team_settings", args=[team.slug]))
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is None, "no traceback for an expected refusal"
    handlers = [h for h in _handlers_reached("django.request") if h is not caplog.handler]
    handlers = [h for h in handlers if type(h).__module__ != "_pytest.logging"]
    assert len(handlers) == 1, "printed by one handler, not twice"
    printed = handlers[0].format(record)
    assert printed.endswith(
        f"WARNING django.request Forbidden (Permission denied): /t/{team.slug}/settings/"
    )
    assert "\n" not in printed


@pytest.mark.django_db
def test_a_server_error_keeps_its_traceback(client, caplog, monkeypatch):
    from practices.teams import views

    def broken(**kwargs):
        raise RuntimeError("a real bug")

    monkeypatch.setattr(views.selectors, "membership_list_for_user", broken)
    client.raise_request_exception = False
    client.force_login(UserFactory())
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert client.get(reverse("home")).status_code == 500
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None
