"""The pages bench's data: one team with a long charter history and 5,000 proposals.

Everything goes through the app's services where a person's action would (so the rows
are what the app writes), and in bulk where only the size matters.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta

from bench.harness import BenchError

TEAM_SLUG = "bench"
LEAD_EMAIL = "lead@bench.test"
LEAD_PASSWORD = "bench-lead-password-1"


@dataclass
class Seeded:
    """What the seeders made that pages and the sign-in need."""

    team_slug: str
    lead_email: str
    lead_password: str
    figures: dict[str, object] = field(default_factory=dict)


PEOPLE = [
    # (email, first name, last name, role) — the first is the lead who signs in.
    (LEAD_EMAIL, "Lena", "Lindqvist", "lead"),
    ("colead@bench.test", "Sam", "Okafor", "lead"),
    ("dev1@bench.test", "Diego", "Alvarez", "member"),
    ("dev2@bench.test", "Priya", "Raman", "member"),
    ("observer@bench.test", "Olga", "Petrova", "observer"),
]

NOTES = [
    "Agreed in the retro: small pull requests (under 400 lines) are reviewed first.",
    "Support asked for a heads-up in #releases before anything that touches billing.",
    "We tried this for one quarter and kept it.",
    "New joiners pair with someone for their first two weeks.",
    "The product owner joins planning for the first 15 minutes only.",
    "On-call engineers are exempt from stand-up during an incident.",
    "**Never** skip the canary stage for database migrations.",
    "Decisions that change this section are written up in the team channel first.",
    "See the runbook in the wiki for the steps; keep it in sync with this page.",
    "Bugs found in review are fixed in the same pull request, not in a follow-up.",
]
MESSAGES = [
    "",
    "Agreed in the retro",
    "After the billing incident",
    "Trying this for one quarter",
    "New joiners found this unclear",
    "",
    "Product owner asked for it",
    "Clarified after a question in stand-up",
    "",
    "Two incidents from rushed merges",
]
LIST_ITEMS = {
    "languages": ["Go", "Kotlin", "SQL"],
    "frameworks": ["Celery", "htmx", "FastAPI"],
    "data_stores": ["Kafka", "S3", "ClickHouse"],
    "monitoring": ["OpenTelemetry", "Loki", "PagerDuty"],
    "environments": ["qa", "preview", "staging-eu"],
    "default_reviewers": ["Lena Lindqvist", "Sam Okafor", "Priya Raman"],
}
TIME_ZONES = ["Europe/Berlin", "Europe/Lisbon", "Europe/Helsinki", "America/New_York"]


def seed_team() -> Seeded:
    """The team through ``team_create``, its lead who can sign in, and a few people."""
    from django.contrib.auth import get_user_model

    from practices.models import Membership
    from practices.teams import services

    User = get_user_model()
    users = []
    for email, first, last, _role in PEOPLE:
        user = User(username=email, email=email, first_name=first, last_name=last)
        if email == LEAD_EMAIL:
            user.set_password(LEAD_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
        users.append(user)
    team = services.team_create(
        user=users[0], name="Payments", slug=TEAM_SLUG, time_zone="Europe/Berlin"
    )
    for user, (_email, _first, _last, role) in zip(users[1:], PEOPLE[1:], strict=True):
        # Like load_demo: these people need no invitation email.
        Membership.objects.create(team=team, user=user, role=role)
    return Seeded(team_slug=team.slug, lead_email=LEAD_EMAIL, lead_password=LEAD_PASSWORD)


def seed_charter(seeded: Seeded, *, revisions: int) -> None:
    """``revisions`` saves through ``charter_section_update``, spread over the sections.

    Each save changes one field of the demo team's content for that section (as
    ``load_demo`` loads it), the way a lead's edit would, and only as the section's form
    allows; two saves in three are the signed-in lead's, the rest the other lead's. As
    ``load_demo`` does, ``created_at`` is moved back afterwards so that the history
    spans about two years; nothing else differs from what the service wrote.
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from practices.charter import services
    from practices.charter.sections import SECTIONS
    from practices.management.commands.load_demo import CHANGES
    from practices.models import CharterRevision, CharterSection

    demo = {key: data for key, _days, _message, data in CHANGES}
    leads = list(
        get_user_model()
        .objects.filter(memberships__team__slug=seeded.team_slug, memberships__role="lead")
        .order_by("pk")
    )
    rng = random.Random(revisions)
    with transaction.atomic():
        sections = {
            section.key: section
            for section in CharterSection.objects.filter(team__slug=seeded.team_slug)
        }
        specs = [spec for spec in SECTIONS if spec.key in sections]
        # Some sections change far more often than others, as in a real team.
        weights = [rng.uniform(0.3, 3.0) for _ in specs]
        saved: list[CharterRevision] = []
        steps: dict[str, int] = {}
        for i in range(revisions):
            spec = rng.choices(specs, weights)[0]
            step = steps[spec.key] = steps.get(spec.key, 0) + 1
            section = sections[spec.key]
            base = spec.with_defaults(demo.get(spec.key, {}))
            revision = services.charter_section_update(
                section=section,
                data=_edited(spec, base, step, current=section.data),
                expected_version=section.version,
                author=leads[1 if i % 3 == 2 else 0],
                message=MESSAGES[i % len(MESSAGES)],
            )
            saved.append(revision)
        start = timezone.now() - timedelta(hours=17 * revisions)
        last_change = {}
        for i, revision in enumerate(saved):
            revision.created_at = start + timedelta(hours=17 * i, minutes=rng.randrange(600))
            last_change[revision.section_id] = revision.created_at
        CharterRevision.objects.bulk_update(saved, ["created_at"], batch_size=500)
        for section_id, when in last_change.items():
            CharterSection.objects.filter(pk=section_id).update(updated_at=when)
    seeded.figures["revisions"] = CharterRevision.objects.filter(
        team__slug=seeded.team_slug
    ).count()


def _edited(spec, base: dict, step: int, *, current: dict) -> dict:
    """``base`` with one field changed (a different one each step), still valid for the form.

    Never what the section holds already: the service refuses a save that changes nothing.
    """
    names = [*spec.content_fields(), *(["rows"] if spec.row_form_class else [])]
    for offset in range(len(names)):
        name = names[(step + offset) % len(names)]
        data = {**base, name: _changed_value(spec, name, base.get(name), step)}
        if data != current and _valid(spec, data):
            return data
    raise BenchError(f"found no valid edit of the {spec.key} section")


def _changed_value(spec, name: str, value, step: int):
    from django import forms

    from practices.charter.fields import ListField, MarkdownField

    note_text = NOTES[step % len(NOTES)]
    if name == "rows":
        rows = [dict(row) for row in value or []]
        if rows and step % 4:
            row = rows[step % len(rows)]
            last_text = [k for k, v in row.items() if isinstance(v, str) and k != "target_date"]
            row[last_text[-1]] = f"{row[last_text[-1]]} {note_text}"[:120]
            return rows
        return [*rows, _new_row(spec, step)]
    form_field = spec.content_fields()[name]
    if isinstance(form_field, forms.BooleanField):
        return not value
    if isinstance(form_field, forms.IntegerField):
        low = max(form_field.min_value or 0, 1)
        high = form_field.max_value or low + 10
        return low + step % min(high - low + 1, 12)
    if isinstance(form_field, forms.ChoiceField):
        choices = [choice for choice, _label in form_field.choices]
        return choices[step % len(choices)]
    if isinstance(form_field, ListField):
        pool = LIST_ITEMS.get(name, ["Other"])
        item = pool[step % len(pool)]
        items = list(value or [])
        return [x for x in items if x != item] if item in items else [*items, item]
    if isinstance(form_field, forms.TimeField):
        return f"{9 + step % 8:02d}:{step * 15 % 60:02d}"
    if isinstance(form_field, MarkdownField):
        return f"{value}\n\n{note_text}" if value else note_text
    if name == "time_zone":
        return TIME_ZONES[step % len(TIME_ZONES)]
    return f"{value or ''} ({step})".strip()


def _new_row(spec, step: int) -> dict:
    from django import forms

    row = {}
    for name, row_field in spec.row_form_class.base_fields.items():
        if isinstance(row_field, forms.DateField):
            row[name] = f"2027-{1 + step % 12:02d}-{1 + step % 28:02d}"
        elif isinstance(row_field, forms.BooleanField):
            row[name] = bool(step % 2)
        else:
            row[name] = f"{row_field.label} {step}"
    return row


def _valid(spec, data: dict) -> bool:
    """Whether the section's own forms would accept ``data`` (seeded data stays realistic)."""

    def as_posted(value) -> str:
        if isinstance(value, list):
            return ", ".join(value)
        if isinstance(value, bool):
            return "on" if value else ""
        return "" if value is None else str(value)

    fields = {name: as_posted(data.get(name)) for name in spec.content_fields()}
    if not spec.form_class(data={"version": "0", **fields}).is_valid():
        return False
    if spec.row_form_class is None:
        return True
    return all(
        spec.row_form_class(data={k: as_posted(v) for k, v in row.items()}).is_valid()
        for row in data.get("rows") or []
    )


def seed_charter_1000(seeded: Seeded) -> None:
    seed_charter(seeded, revisions=1000)


PROPOSALS = 5000  # in the team, the big one included
BIG_OPTIONS, BIG_VOTES, BIG_COMMENTS = 8, 60, 200
TITLES = [
    "Move sessions to Redis",
    "Adopt trunk-based development",
    "Split the billing worker",
    "Replace the cron box with Celery beat",
    "Use feature flags for every rollout",
    "Drop Python 3.9 support",
    "Shorter iterations for the payments squad",
    "Contract tests between ledger and payouts",
]


def seed_proposals(seeded: Seeded) -> None:
    """The proposal page at its large size and a long list.

    One open proposal is made through the services the views call: 8 options, a vote
    from each of 60 members, 200 comments (one in four a reply). The other 4,999 are
    bulk-inserted with two options each, in every status, the way the list test does.
    """
    from django.contrib.auth import get_user_model

    from practices.models import Membership, Team

    User = get_user_model()
    team = Team.objects.get(slug=seeded.team_slug)
    lead = User.objects.get(email=seeded.lead_email)
    voters = User.objects.bulk_create(
        User(username=f"voter{i}@bench.test", email=f"voter{i}@bench.test", password="!")
        for i in range(BIG_VOTES)
    )
    Membership.objects.bulk_create(
        Membership(team=team, user=user, role="member") for user in voters
    )
    big = _seed_big_proposal(team=team, lead=lead, voters=voters)
    _seed_proposal_list(team=team, lead=lead, voters=voters, after=big.number)
    seeded.figures.update(
        {
            "big_proposal": big.number,
            "proposals": PROPOSALS,
            "big_proposal_options": BIG_OPTIONS,
            "big_proposal_votes": big.votes.count(),
            "big_proposal_comments": big.comments.count(),
        }
    )


def _seed_big_proposal(*, team, lead, voters: list):
    """The open proposal, through the services: options, everyone's vote, the comments."""
    import datetime as dt

    from django.utils import timezone

    from proposals.services import proposals as services

    big = services.proposal_create(
        team=team,
        author=lead,
        driver=lead,
        approver=lead,
        title="Pick the message broker for the ledger events",
        due_at=timezone.now() + dt.timedelta(days=7),
        background=NOTES[0] + "\n\n" + NOTES[6],
        options=[
            services.OptionInput(
                title=f"Broker {i + 1}",
                description=NOTES[i % len(NOTES)],
                pros="Managed; the team knows it.",
                cons="Cost grows with traffic.",
                cost=f"{i + 2} weeks",
            )
            for i in range(BIG_OPTIONS)
        ],
    )
    services.proposal_open(proposal=big, actor=lead)
    option_ids = list(big.options.values_list("pk", flat=True))
    # A preference each, or none; every other voter objects to another option, and
    # one in eight blocks it: the tally lists every objection with its reason.
    for i, voter in enumerate(voters):
        preferred = option_ids[i % len(option_ids)] if i % 4 != 2 else None
        other = option_ids[(i + 1) % len(option_ids)]
        objections = []
        if i % 2:
            kind = "block" if i % 8 == 7 else "disagree"
            objections.append(services.ObjectionInput(other, kind, "It adds an on-call burden."))
        services.proposal_vote_cast(
            proposal=big, voter=voter, option_id=preferred, objections=objections
        )
    parents = []
    for i in range(BIG_COMMENTS):
        parent = parents[-1] if i % 4 == 3 else None
        comment = services.comment_add(
            proposal=big,
            author=voters[i % len(voters)],
            body=NOTES[i % len(NOTES)],
            parent_id=parent,
        )
        if parent is None:
            parents.append(comment.pk)
    return big


def _seed_proposal_list(*, team, lead, voters: list, after: int) -> None:
    """The rest of the team's proposals, bulk-inserted with two options each."""
    import datetime as dt

    from django.utils import timezone

    from proposals.models import Option, Proposal, Status

    now = timezone.now()
    statuses = [Status.DECIDED, Status.OPEN, Status.DRAFT, Status.DECLINED, Status.WITHDRAWN]
    rest = Proposal.objects.bulk_create(
        Proposal(
            team=team,
            number=after + 1 + i,
            title=f"{TITLES[i % len(TITLES)]} ({i + 1})",
            status=statuses[i % len(statuses)],
            driver=voters[i % len(voters)],
            approver=lead,
            created_by=voters[i % len(voters)],
            due_at=now + dt.timedelta(days=i % 30 - 15),
            background=NOTES[i % len(NOTES)],
            rationale=NOTES[(i + 3) % len(NOTES)] if i % len(statuses) == 0 else "",
            decided_by=lead if i % len(statuses) == 0 else None,
            decided_at=now - dt.timedelta(hours=i) if i % len(statuses) == 0 else None,
        )
        for i in range(PROPOSALS - 1)
    )
    Option.objects.bulk_create(
        Option(proposal=proposal, position=position, title=f"Option {'AB'[position]}")
        for proposal in rest
        for position in range(2)
    )
