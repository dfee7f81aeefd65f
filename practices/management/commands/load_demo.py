"""Loads a demo team with people, a filled-in charter and some history. Safe to run twice."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from practices import registries
from practices.charter.services import charter_section_update
from practices.models import CharterRevision, CharterSection, Membership, Retro, Role, Team
from practices.teams.services import team_create

DEMO_PASSWORD = "teamlead-demo"  # noqa: S105 - printed for the demo on purpose
DEMO_PEOPLE = [
    ("lead@demo.test", "Lena", "Lindqvist", Role.LEAD, False),
    ("senior@demo.test", "Sam", "Okafor", Role.MEMBER, True),
    ("dev1@demo.test", "Diego", "Alvarez", Role.MEMBER, False),
    ("dev2@demo.test", "Priya", "Raman", Role.MEMBER, False),
    ("observer@demo.test", "Olga", "Petrova", Role.OBSERVER, False),
]

CHANGES = [
    # (section, days ago, message, data)
    ("methodology", 40, "First draft from the kick-off", {
        "iteration_length_days": 14,
        "planning": "Planning on the first Monday of the iteration, 45 minutes.",
        "estimation": "We size stories in T-shirt sizes; bugs are not estimated.",
        "mid_iteration_changes": "lead_agrees",
        "demo": "Demo at the end of the iteration to the product owner.",
    }),
    ("code_review", 38, "Agreed in the kick-off", {
        "kind": "approvals", "required_approvals": 1, "seniors_only": False,
        "cooldown_hours": 0, "turnaround_hours": 48, "default_reviewers": [], "notes": "",
    }),
    ("retros", 37, "", {
        "every_weeks": 2, "weekday": 3, "start_time": "15:00", "time_zone": "Europe/Berlin",
        "duration_minutes": 60, "notes": "Facilitator rotates alphabetically.",
    }),
    ("stack", 36, "", {
        "languages": ["Python", "TypeScript"], "frameworks": ["Django", "React"],
        "data_stores": ["PostgreSQL", "Redis"], "monitoring": ["Prometheus", "Grafana", "Sentry"],
    }),
    ("priorities", 30, "Billing incidents cost us a customer", {"rows": [
        {"ticket_type": "Bug", "component": "Billing", "rule": "Fix immediately, whatever the severity."},
        {"ticket_type": "Security", "component": "", "rule": "Next in line; patch within 48 hours."},
        {"ticket_type": "Bug", "component": "", "rule": "Triage within one working day."},
    ]}),
    ("architecture", 28, "", {"body": (
        "The payments service is a Django monolith behind a load balancer.\n\n"
        "- **PostgreSQL** is the source of truth; Redis only caches and queues.\n"
        "- Card data never touches our servers: the PSP's hosted fields collect it.\n"
        "- Background work (webhooks, settlement files) runs on Celery workers."
    )}),
    ("nfrs", 26, "", {"body": (
        "- Survives a database restart; alert if no connection within 60 s.\n"
        "- p95 of the checkout API under 300 ms at 200 requests per second.\n"
        "- Settlement files are processed within 15 minutes of arrival."
    )}),
    ("slis", 24, "", {"rows": [
        {"name": "Checkout availability", "measures": "Share of checkout requests answered without a 5xx", "objective": "99.9% over 28 days"},
        {"name": "Checkout latency", "measures": "p95 of checkout API response time", "objective": "under 300 ms"},
    ]}),
    ("rollout", 22, "", {"cadence": "daily", "environments": ["staging", "canary", "production"],
                         "notes": "No deploys after 15:00 on Fridays."}),
    ("communication", 21, "", {"standup_frequency": "daily", "standup_format": "video",
                               "notes": "Stand-up at 09:45, 15 minutes, camera optional."}),
    ("work_split", 20, "", {"mode": "pull_by_priority",
                            "notes": "Take the top ticket you can finish; pair on anything over a week."}),
    ("milestones", 18, "", {"rows": [
        {"name": "Apple Pay in beta", "target_date": "2026-12-15", "deliverable": "Beta for 5% of iOS users", "done": False},
        {"name": "PSP migration", "target_date": "2026-10-30", "deliverable": "All traffic on the new PSP", "done": True},
    ]}),
    ("code_review", 12, "Two incidents from rushed merges", {
        "kind": "approvals", "required_approvals": 2, "seniors_only": False,
        "cooldown_hours": 0, "turnaround_hours": 8, "default_reviewers": [],
        "notes": "Small pull requests (under 400 lines) get reviewed first.",
    }),
    ("methodology", 9, "Two weeks felt long for a team of four", {
        "iteration_length_days": 7,
        "planning": "Planning on Monday morning, 30 minutes. Bring the top of the backlog refined.",
        "estimation": "We size stories in T-shirt sizes; bugs are not estimated.",
        "mid_iteration_changes": "lead_agrees",
        "demo": "Demo every Friday at 14:00 to the product owner and support.",
    }),
    ("retros", 5, "Thursday clashed with the release", {
        "every_weeks": 2, "weekday": 2, "start_time": "14:00", "time_zone": "Europe/Berlin",
        "duration_minutes": 60, "notes": "Facilitator rotates alphabetically.",
    }),
]  # fmt: skip


class Command(BaseCommand):
    help = "Loads the demo team (Payments) with five people and a charter with history."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        User = get_user_model()
        users = {}
        for email, first, last, _role, _senior in DEMO_PEOPLE:
            user, created = User.objects.get_or_create(
                username=email, defaults={"email": email, "first_name": first, "last_name": last}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            users[email] = user
        lead = users[DEMO_PEOPLE[0][0]]
        team = Team.objects.filter(slug="pay").first()
        if team is not None:
            self.stdout.write("Demo team already loaded; nothing to do.")
            return
        team = team_create(user=lead, name="Payments", slug="pay", time_zone="Europe/Berlin")
        for email, _first, _last, role, senior in DEMO_PEOPLE[1:]:
            # Demo people already have passwords: no invitation email is needed.
            Membership.objects.create(
                team=team, user=users[email], role=role, is_senior=senior,
                invitation_sent_at=timezone.now(),
            )  # fmt: skip
        now = timezone.now()
        for key, days_ago, message, data in CHANGES:
            section = CharterSection.objects.get(team=team, key=key)
            revision = charter_section_update(
                section=section, data=data, expected_version=section.version,
                author=lead, message=message,
            )  # fmt: skip
            when = now - timedelta(days=days_ago, hours=days_ago % 5)
            CharterRevision.objects.filter(pk=revision.pk).update(created_at=when)
            CharterSection.objects.filter(pk=section.pk).update(updated_at=when)
        self._load_plugins(team, users)
        self._load_retros(team, users)
        self.stdout.write(self.style.SUCCESS("Demo team Payments loaded."))

    def _load_retros(self, team, users) -> None:
        """A retro held two weeks ago, with its board and action items, and cards on the next."""
        from practices.retros import services as retros

        upcoming = retros.retro_schedule(team=team)
        held_at = upcoming[0].slot_at - timedelta(weeks=2)
        held = Retro.objects.create(
            team=team, slot_at=held_at, starts_at=held_at, duration_minutes=60,
            time_zone=upcoming[0].time_zone,
        )  # fmt: skip
        during = held_at + timedelta(minutes=10)
        person = {email.split("@")[0]: user for email, user in users.items()}
        cards = [
            ("went_well", "Checkout p95 stayed under 300 ms all sprint", "dev1", False),
            ("went_well", "Pairing on the settlement parser", "dev2", False),
            ("to_improve", "Reviews waited more than a day", "senior", False),
            ("to_improve", "Too many meetings on Wednesdays", "dev1", True),
            ("ideas", "A review rota in the charter", "dev2", False),
        ]
        made = [
            retros.retro_card_add(
                retro=held, author=person[who], column=column, text=text,
                anonymous=anonymous, now=during,
            )
            for column, text, who, anonymous in cards
        ]  # fmt: skip
        for voter, index in [("dev1", 2), ("dev2", 2), ("senior", 4), ("lead", 2)]:
            retros.retro_card_vote_toggle(card=made[index], voter=person[voter], now=during)
        for text, owner, days in [
            ("Add a review rota to the charter", "senior", 7),
            ("Move the Wednesday sync to Slack", "lead", 10),
        ]:
            retros.retro_action_item_add(
                retro=held, text=text, owner=person[owner], created_by=person["lead"],
                due_date=(held_at + timedelta(days=days)).date(),
            )  # fmt: skip
        next_retro = upcoming[0]
        retros.retro_card_add(
            retro=next_retro, author=person["dev2"], column="went_well",
            text="The review rota works: nothing waited over a day", anonymous=False,
        )  # fmt: skip
        retros.retro_card_add(
            retro=next_retro, author=person["senior"], column="ideas",
            text="Try mob programming on the refund flow", anonymous=True,
        )  # fmt: skip
        retros.team_calendar_rotate(team=team)

    def _load_plugins(self, team, users) -> None:
        # Other apps (proposals) add their demo data through the registry: practices
        # never imports them.
        people = {email.split("@")[0]: user for email, user in users.items()}
        for loader in registries.demo_loader_list():
            loader.load(team=team, people=people)
