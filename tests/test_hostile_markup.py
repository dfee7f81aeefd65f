"""Markup typed by users reaches pages only as text.

Each test puts hostile markup into a user field that reaches one of the places where
HTML is marked safe (a form's help text, the cached discussion and timeline, rendered
markdown, the HTML part of an email) and checks the page: the escaped text is there,
no live element or attribute is. The last test keeps the list of those places honest.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from practices.charter.services import charter_section_update
from practices.models import CharterSection
from proposals.models import Option
from proposals.services import pages as page_services
from proposals.services import proposals as services
from proposals.tasks import notify_outcome
from tests.factories import UserFactory, add_member
from tests.proposals.factories import decide, make_proposal

User = get_user_model()
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<button hx-on:click="alert(1)">Approve</button>',
]


class _LiveMarkup(HTMLParser):
    """The elements and attributes of a page that hostile text must never become."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "base" or (tag == "meta" and "http-equiv" in names):
            self.found.append(tag)
        if tag == "img" and "onerror" in names:
            self.found.append("img onerror")
        self.found += [name for name in names if name.startswith(("hx-on", "on"))]


def live_markup(html: str) -> list[str]:
    parser = _LiveMarkup()
    parser.feed(html)
    return parser.found


def assert_shown_as_text(html: str, hostile: str, *, times: int = 1) -> None:
    """No live markup, and ``hostile`` shown as text at least ``times`` times: escaped by
    a template (quotes too) or by the markdown sanitiser (which leaves quotes in text)."""
    assert live_markup(html) == []
    assert hostile not in html
    by_markdown = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    shown = html.count(escape(hostile))
    if by_markdown != escape(hostile):
        shown += html.count(by_markdown)
    assert shown >= times


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_block_reason_is_text_on_the_approvers_decide_page(people, client_for, hostile):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    option = proposal.options.get(position=0)
    Option.objects.filter(pk=option.pk).update(title=hostile)
    User.objects.filter(pk=people.senior.pk).update(first_name=hostile, last_name="")
    services.proposal_vote_cast(
        proposal=proposal,
        voter=people.senior,
        option_id=None,
        objections=[services.ObjectionInput(option_id=option.pk, kind="block", reason=hostile)],
    )
    url = reverse("proposals:decide", args=["pay", proposal.number])
    page = client_for(people.lead).get(url).text
    # The reason (a help text), the blocker's name (a label), the option (a choice).
    assert_shown_as_text(page, hostile, times=3)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_help_text_is_escaped_in_every_form(hostile):
    class AnyForm(forms.Form):
        name = forms.CharField(help_text=hostile)

    html = str(AnyForm()["name"].as_field_group())
    assert_shown_as_text(html, hostile)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_names_comments_and_titles_are_text_on_the_proposal_page(people, client_for, hostile):
    author = add_member(people.team, UserFactory(first_name=hostile, last_name=""))
    proposal = make_proposal(
        people.team, author, approver=people.lead, open_it=True, title=hostile, background=hostile
    )
    services.comment_add(proposal=proposal, author=author, body=f"Look: {hostile}")
    url = reverse("proposals:detail", args=["pay", proposal.number])
    page = client_for(people.member).get(url).text
    # The title (twice: heading and timeline), the background, the author, the comment.
    assert_shown_as_text(page, hostile, times=5)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_design_page_body_and_title_are_text(people, client_for, hostile):
    page = page_services.design_page_create(
        team=people.team, author=people.member, title=hostile, body=f"Intro\n\n{hostile}"
    )
    url = reverse("proposals:page_detail", args=["pay", page.number])
    html = client_for(people.member).get(url).text
    assert_shown_as_text(html, hostile, times=2)  # the title and the body


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_charter_markdown_section_is_text(people, client_for, hostile):
    section = CharterSection.objects.get(team=people.team, key="architecture")
    charter_section_update(
        section=section,
        data={"body": hostile},
        expected_version=section.version,
        author=people.lead,
    )
    html = client_for(people.member).get(reverse("practices:charter", args=["pay"])).text
    assert_shown_as_text(html, hostile)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_html_part_of_an_email_shows_a_title_as_text(people, hostile):
    proposal = make_proposal(
        people.team, people.member, approver=people.lead, open_it=True, title=hostile,
        informed=[people.observer],
    )  # fmt: skip
    decide(proposal)
    notify_outcome(proposal.pk)
    # The outcome goes to everyone involved; the informed observer's copy is one of them.
    (sent,) = [message for message in mail.outbox if message.to == [people.observer.email]]
    html = next(body for body, mimetype in sent.alternatives if mimetype == "text/html")
    assert_shown_as_text(html, hostile)


# Every place that marks HTML safe or turns autoescaping off, and why each is safe.
# A new one fails this test until it is added here with its reason (and a test above
# when user data reaches it).
MARKED_SAFE = {
    # Output of nh3 with an allow-list of tags, attributes and URL schemes; markdown-it
    # renders with raw HTML off. Tests: test_markdown.py, the markdown tests above.
    "practices/markdown.py": 2,
    # Renderings of proposals/detail.html's partials, made with autoescape on; only the
    # reader's CSRF token (Django's, [A-Za-z0-9]) is written in afterwards.
    "proposals/views/fragments.py": 2,
    # Plain-text bodies (text/plain): nothing reads them as HTML. Each has an HTML
    # twin (*.html) rendered with autoescape on.
    "templates/emails/_reminder_body.txt": 1,
    "templates/emails/email_change.txt": 1,
    "templates/emails/invitation.txt": 1,
    "templates/emails/membership_added.txt": 1,
    "templates/emails/password_reset.txt": 1,
    "templates/emails/proposal_decide.txt": 1,
    "templates/emails/proposal_mention.txt": 1,
    "templates/emails/proposal_outcome.txt": 1,
    "templates/emails/proposal_review_due.txt": 1,
    "templates/emails/reminder.txt": 1,
    "templates/emails/reminder_digest.txt": 1,
}
_MARKING = re.compile(
    r"\|\s*safe\b|\|\s*safeseq\b|mark_safe\(|format_html|SafeString\(|SafeText\("
    r"|html_safe|autoescape\s+off|\{%\s*filter\s+safe"
)


def test_every_place_that_marks_html_safe_is_known():
    root = Path(settings.BASE_DIR)
    found = {}
    for folder in ("templates", "practices", "proposals", "teamlead"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in {".py", ".html", ".txt"} or "migrations" in path.parts:
                continue
            count = len(_MARKING.findall(path.read_text(encoding="utf-8")))
            if count:
                found[str(path.relative_to(root))] = count
    assert found == MARKED_SAFE
