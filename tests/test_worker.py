"""A real worker process sends the invitation a lead's request queued."""

import email
from email import policy

import pytest
from django.urls import reverse

from practices.models import Membership
from tests.worker import running_worker, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_invitation_once(people, client_for, celery_broker, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    with running_worker(celery_broker, mail_dir):
        response = client_for(people.lead).post(
            reverse("practices:members", args=["pay"]),
            {"email": "newcomer@example.com", "role": "member"},
        )
        assert response.status_code == 302
        wait_for(lambda: any(mail_dir.iterdir()), timeout=30, what="the invitation email")
        membership = Membership.objects.get(user__email="newcomer@example.com")
        wait_for(
            lambda: Membership.objects.get(pk=membership.pk).invitation_sent_at is not None,
            timeout=10,
            what="the claim to be recorded",
        )
    files = list(mail_dir.iterdir())
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "newcomer@example.com"
    assert message["Subject"] == "[PAY] You are invited to Payments on Teamlead"
    assert "http://testserver/accounts/invitation/" in message.get_body(("plain",)).get_content()
