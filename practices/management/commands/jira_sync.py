"""Runs one Jira sync of a team in the foreground and prints what it did."""

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from practices.jira.lease import SyncBusy
from practices.jira.sync import jira_sync
from practices.models import FAILED_OUTCOMES, JiraConnection, Team


class Command(BaseCommand):
    help = "Syncs a team's Jira tickets now; --full also marks tickets gone from Jira."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="the team's short name (slug)")
        parser.add_argument(
            "--full", action="store_true", help="read every ticket and find the deleted ones"
        )

    def handle(self, *args, **options) -> None:
        connection = (
            JiraConnection.objects.select_related("team").filter(team__slug=options["team"]).first()
        )
        if connection is None:
            if not Team.objects.filter(slug=options["team"]).exists():
                raise CommandError(f"No team with the short name {options['team']!r}.")
            raise CommandError(f"Team {options['team']!r} has no Jira connection (jira_connect).")
        started = time.monotonic()
        try:
            run = jira_sync(connection=connection, full=options["full"], trigger="command")
        except SyncBusy:
            raise CommandError(
                "Another sync of this team is running; try again when it has finished."
            ) from None
        seconds = time.monotonic() - started
        for name in ("fetched", "created", "updated", "deleted", "unchanged", "skipped"):
            self.stdout.write(f"{name}: {getattr(run, name)}")
        self.stdout.write(f"seconds: {seconds:.2f}")
        self.stdout.write(f"outcome: {run.outcome}")
        for item in run.ticket_errors:
            self.stderr.write(f"skipped {item['ticket']}: {item['error']}")
        if run.outcome in FAILED_OUTCOMES:
            raise CommandError(run.error or run.get_outcome_display())
