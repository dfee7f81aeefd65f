"""Line breaks in one-line fields, and mail headers no stored text can break.

A title posted with "\\r\\n" used to be stored as it was, and every email whose subject
carried it then failed with BadHeaderError in the worker and was never sent.
"""

import importlib
import pkgutil

import pytest
from django import forms
from django.core import mail
from django.urls import reverse

import practices
import proposals
from practices.emails import email_build
from practices.single_line import header_line, one_line
from proposals.models import Option, Proposal
from proposals.services import proposals as services
from proposals.tasks import notify_mentions, notify_outcome
from tests.factories import UserFactory
from tests.proposals.factories import decide, make_proposal
from tests.proposals.test_proposal_views import create_post

BREAKS = ["\r\n", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\t"]


@pytest.mark.parametrize("brk", BREAKS)
def test_every_kind_of_line_break_folds_into_one_space(brk):
    assert one_line(f"Move sessions{brk}to Redis") == "Move sessions to Redis"
    assert one_line(f"Move sessions {brk}{brk}  to Redis") == "Move sessions to Redis"
    assert header_line(f"{brk}Move\x00sessions{brk}") == "Move sessions"


def test_spaces_that_are_not_around_a_break_are_kept():
    assert one_line("Keep  two spaces") == "Keep  two spaces"


def test_a_title_posted_with_line_breaks_is_saved_on_one_line(people, client_for):
    post = create_post(
        people.lead,
        title="Adopt trunk\r\nBcc: everyone@example.com",
        **{"options-0-title": "Trunk\nbased", "options-0-cost": "1\r\nweek"},
    )
    response = client_for(people.member).post(reverse("proposals:create", args=["pay"]), post)
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.title == "Adopt trunk Bcc: everyone@example.com"
    option = Option.objects.get(proposal=proposal, position=0)
    assert (option.title, option.cost) == ("Trunk based", "1 week")


def test_informed_emails_may_be_given_one_a_line(people, client_for):
    post = create_post(people.lead, informed_emails="cto@example.com\r\nceo@example.com")
    client_for(people.member).post(reverse("proposals:create", args=["pay"]), post)
    assert Proposal.objects.get().informed_emails == ["cto@example.com", "ceo@example.com"]


def _project_forms() -> list[type[forms.BaseForm]]:
    for package in (practices, proposals):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name.rsplit(".", 1)[-1] == "forms" or ".forms." in module.name:
                importlib.import_module(module.name)
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith(("practices.", "proposals.", "teamlead.")):
            found.append(cls)
    return found


def test_every_one_line_text_field_folds_line_breaks():
    """A CharField shown as a one-line <input> must be a OneLineField (or refuse breaks:
    EmailField, URLField, SlugField and the like validate them away)."""
    forms_found = _project_forms()
    assert len(forms_found) > 20
    plain = []
    for form in forms_found:
        for name, field in form.base_fields.items():
            if type(field) is not forms.CharField:
                continue
            if isinstance(field.widget, forms.Textarea | forms.PasswordInput | forms.HiddenInput):
                continue
            plain.append(f"{form.__module__}.{form.__name__}.{name}")
    assert plain == []


def test_a_subject_and_headers_built_from_broken_text_are_one_line():
    message = email_build(
        to="a@example.com",
        subject="[PAY] DACI-1 decided: Move\r\nBcc: x@example.com",
        template="password_reset",
        context={"reset_url": "https://example.com/"},
        headers={"X-Note": "one\ntwo"},
    ).message()
    assert message["Subject"] == "[PAY] DACI-1 decided: Move Bcc: x@example.com"
    assert message["X-Note"] == "one two"
    assert message["Bcc"] is None


def test_a_title_stored_with_line_breaks_still_sends_the_outcome_email(people):
    proposal = make_proposal(people.team, people.member, open_it=True, informed=[people.observer])
    # As stored before forms folded line breaks: written straight to the database.
    Proposal.objects.filter(pk=proposal.pk).update(title="Move\r\nsessions\u2028to Redis\n")
    decide(Proposal.objects.get(pk=proposal.pk))
    notify_outcome(proposal.pk)
    # Everyone involved gets it (the driver and the informed observer), none lost.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [people.member.email, people.observer.email]
    )
    for sent in mail.outbox:
        assert sent.subject == f"[PAY] {proposal.code} decided: Move sessions to Redis"
        assert sent.message()["Subject"] == sent.subject


def test_a_title_stored_with_line_breaks_still_sends_mentions(people):
    mentioned = people.senior
    proposal = make_proposal(people.team, people.member, open_it=True)
    Proposal.objects.filter(pk=proposal.pk).update(title="Move\nsessions\r\nBcc: x@example.com")
    handle = mentioned.email.split("@")[0]
    comment = services.comment_add(proposal=proposal, author=people.member, body=f"@{handle} ok?")
    notify_mentions(comment.pk)
    (sent,) = mail.outbox
    assert sent.to == [mentioned.email]
    assert "Move sessions Bcc: x@example.com" in sent.message()["Subject"]
    assert sent.message()["Bcc"] is None


def test_a_name_with_a_line_break_cannot_break_an_invitation(people):
    from practices.models import Membership, Team
    from practices.teams.emails import membership_email_send

    Team.objects.filter(pk=people.team.pk).update(name="Pay\r\nments")
    invited = UserFactory(password=None)
    membership = Membership.objects.create(team=Team.objects.get(pk=people.team.pk), user=invited)
    membership_email_send(membership=membership)
    (sent,) = mail.outbox
    assert sent.message()["Subject"] == "[PAY] You are invited to Pay ments on Teamlead"


def test_a_token_with_a_line_break_is_refused_not_folded(people, client_for):
    # Folding would change a secret; the lead is told, next to the field.
    url = reverse("practices:jira_connection", args=["pay"])
    response = client_for(people.lead).post(
        url,
        {
            "base_url": "https://jira.example.com",
            "deployment": "dc",
            "token": "abc\r\ndef",
            "jql": "project = PAY",
            "sync_interval_minutes": "5",
        },
    )
    assert response.status_code == 200
    assert "An API token is one line: paste it again without line breaks." in response.text
