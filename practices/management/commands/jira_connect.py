"""Connects a team to its Jira site from the command line, as the connection page does."""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from practices.jira import selectors, services
from practices.jira.forms import JiraConnectionForm
from practices.models import JiraDeployment, Team

STDIN = "-"


class Command(BaseCommand):
    help = (
        "Connects (or reconnects) a team to a Jira site. The token is stored encrypted. "
        "Pass --token - to read it from standard input, out of the shell's history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="the team's short name (slug)")
        parser.add_argument("--url", required=True, help="the Jira site's address")
        parser.add_argument("--deployment", required=True, choices=JiraDeployment.values)
        parser.add_argument("--email", default="", help="Cloud: the token's account email")
        parser.add_argument("--token", default="", help="API token or PAT; - reads stdin")
        parser.add_argument("--jql", required=True, help="which tickets, e.g. 'project = PAY'")
        parser.add_argument("--interval", type=int, default=5, help="minutes between syncs")
        parser.add_argument(
            "--check", action="store_true", help="test against Jira first; save only if it works"
        )

    def handle(self, *args, **options) -> None:
        team = Team.objects.filter(slug=options["team"]).first()
        if team is None:
            raise CommandError(f"No team with the short name {options['team']!r}.")
        token = options["token"]
        if token == STDIN:
            token = sys.stdin.readline().strip()
        connection = selectors.jira_connection_for_team(team=team)
        form = JiraConnectionForm(
            {
                "base_url": options["url"],
                "deployment": options["deployment"],
                "email": options["email"],
                "token": token,
                "jql": options["jql"],
                "sync_interval_minutes": options["interval"],
            },
            has_token=connection is not None,
        )
        if not form.is_valid():
            raise CommandError(_errors(form.errors))
        data = form.cleaned_data
        if options["check"]:
            check = services.jira_connection_test(
                connection=connection,
                base_url=data["base_url"],
                deployment=data["deployment"],
                email=data["email"],
                token=data["token"],
                jql=data["jql"],
            )
            for ok, text in check.lines:
                self.stdout.write(f"{'ok' if ok else 'FAILED'}: {text}")
            if not check.ok:
                raise CommandError("Not saved: the connection test failed.")
        try:
            saved = services.jira_connection_save(team=team, **data)
        except ValidationError as error:
            raise CommandError(_errors(error.message_dict)) from None
        verb = "Reconnected" if connection else "Connected"
        self.stdout.write(
            f"{verb} {team.slug} to {saved.base_url} ({saved.get_deployment_display()}); "
            f"a sync is queued. Run `manage.py jira_sync --team {team.slug}` to sync now."
        )


def _errors(errors: dict) -> str:
    names = {"base_url": "--url", "jql": "--jql", "sync_interval_minutes": "--interval"}
    return "; ".join(
        f"{names.get(field, '--' + field)}: {' '.join(messages)}"
        for field, messages in errors.items()
    )
