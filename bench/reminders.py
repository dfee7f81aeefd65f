"""How fast the reminder planner plans 10,000 retro reminders, and that none goes twice.

Seeds 1,000 teams of 10 members (one lead, nine members, four time zones), each with a
retro in two days, so that every member is due the retro reminder now. Then, in this
process:

1. the floor: one bulk INSERT of 10,000 reminder rows of a scratch kind (then deleted),
   what planning can never beat: ``floor_insert_seconds``;
2. one planner run (``reminder_plan``), timed: ``plan_seconds``, its SQL statements:
   ``planner_queries``, and ``plan_vs_floor``; the same run restricted to 100 teams (in
   a transaction rolled back) gives ``planner_queries_100_teams``: the count is the
   same, it does not grow with teams (on PostgreSQL the new rows go in one INSERT);
3. every queued send runs here (8 threads, as 8 worker processes would) into Django's
   in-memory mail outbox: ``emails_sent`` (must be 10,000), ``send_seconds``;
4. the planner runs twice more and every send task is delivered again:
   ``duplicates_after_rerun`` (must be 0), ``rerun_plan_seconds`` (a steady-state run).

Database: as ``bench/harness.py`` says (PostgreSQL when DATABASE_URL says so, in a database the
bench creates and drops; else a temporary SQLite file).

Run: ``.venv/bin/python bench/reminders.py`` (or ``make bench``); ``--help`` for options.
Prints one ``name: value`` per line on stdout; progress goes to stderr.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is what we need.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    BenchError,
    bench_database,
    django_on_fresh_database,
    note,
    production_like,
    queue_into_folder,
    run_bench,
)

TARGET_PLAN_SECONDS = 10.0
TIME_ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]


def seed(teams: int, members: int) -> None:
    """Teams, people and retros in bulk: seeding is not what is measured."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from practices.models import Membership, Retro, Role, Team

    User = get_user_model()
    soon = timezone.now() + timedelta(days=2)
    unusable = make_password(None)
    with transaction.atomic():
        team_rows = Team.objects.bulk_create(
            Team(name=f"Team {i}", slug=f"team-{i}", time_zone=TIME_ZONES[i % len(TIME_ZONES)])
            for i in range(teams)
        )
        users = User.objects.bulk_create(
            (
                User(
                    username=f"p{t}-{m}@bench.test",
                    email=f"p{t}-{m}@bench.test",
                    first_name=f"P{m}",
                    last_name=f"T{t}",
                    password=unusable,
                )
                for t in range(teams)
                for m in range(members)
            ),
            batch_size=2000,
        )
        Membership.objects.bulk_create(
            (
                Membership(
                    team=team,
                    user=users[t * members + m],
                    role=Role.LEAD if m == 0 else Role.MEMBER,
                )
                for t, team in enumerate(team_rows)
                for m in range(members)
            ),
            batch_size=2000,
        )
        Retro.objects.bulk_create(
            Retro(
                team=team,
                slot_at=soon,
                starts_at=soon,
                time_zone=team.time_zone,
                duration_minutes=60,
            )
            for team in team_rows
        )


def floor_insert(count: int) -> float:
    """Seconds for one bulk INSERT of ``count`` reminder rows (deleted afterwards)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from practices.models import Reminder, Team

    now = timezone.now()
    team_id = Team.objects.values_list("pk", flat=True).first()
    user_ids = list(get_user_model().objects.values_list("pk", flat=True)[:count])
    rows = [
        Reminder(
            kind="floor",
            object_id=1,
            user_id=user_id,
            occasion="floor",
            team_id=team_id,
            delivery="now",
            due_at=now,
            next_attempt_at=now,
        )
        for user_id in user_ids
    ]
    started = time.perf_counter()
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    seconds = time.perf_counter() - started
    Reminder.objects.filter(kind="floor").delete()
    return seconds


def queries_of(function) -> tuple[object, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = function()
    # Statements only: the BEGIN/COMMIT around an INSERT outside a transaction are not work.
    statements = [q for q in captured if q["sql"] not in ("BEGIN", "COMMIT")]
    return result, len(statements)


def planner_queries_for_100_teams() -> int:
    from datetime import timedelta

    from django.db import transaction
    from django.db.models import F

    from practices.models import Retro, Team
    from practices.reminders.planner import reminder_plan

    first = list(Team.objects.order_by("pk").values_list("pk", flat=True)[:100])
    with transaction.atomic():
        Retro.objects.exclude(team_id__in=first).update(
            starts_at=F("starts_at") + timedelta(days=60)
        )
        plan, count = queries_of(reminder_plan)
        if len(plan.send_ids) != 1000:
            raise BenchError(f"100 teams planned {len(plan.send_ids)} reminders, not 1,000")
        transaction.set_rollback(True)
    return count


def send_all(send_ids: list[int], *, threads: int) -> int:
    """Runs the send of each id, ``threads`` at a time, as that many workers would."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from practices.reminders.delivery import reminder_send

    def send(chunk: list[int]) -> int:
        try:
            return sum(1 for pk in chunk if reminder_send(reminder_id=pk))
        finally:
            connection.close()

    chunks = [send_ids[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(send, chunks))


def run(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    load_before = f"{os.getloadavg()[0]:.2f}"
    # As a production worker runs it: with DEBUG on, Django keeps every query it runs.
    production_like(workdir)
    queue_into_folder(workdir)
    with bench_database(workdir, keep=args.keep_db) as (vendor, database_url):
        django_on_fresh_database(vendor, database_url)
        from django.conf import settings
        from django.core import mail

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        mail.outbox = []
        note(f"seeding {args.teams} teams of {args.members} members, each with a retro due")
        seed(args.teams, args.members)
        figures, plan_seconds = _plan_and_send(args)
    met = (
        figures["emails_sent"] == args.teams * args.members
        and figures["duplicates_after_rerun"] == 0
        and (vendor != "postgresql" or plan_seconds < TARGET_PLAN_SECONDS)
    )
    return {
        "database": vendor,
        **figures,
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "target_met": "yes" if met else "no",
    }


def _plan_and_send(args: argparse.Namespace) -> tuple[dict[str, object], float]:
    """Steps 1 to 4 of the module's docstring: the figures, and the planner's seconds."""
    from django.core import mail

    from practices.models import Reminder
    from practices.reminders.planner import reminder_plan

    expected = args.teams * args.members
    floor = floor_insert(expected)
    queries_100 = planner_queries_for_100_teams() if args.teams >= 100 else None

    note("planning")
    started = time.perf_counter()
    plan, planner_queries = queries_of(reminder_plan)
    plan_seconds = time.perf_counter() - started
    if len(plan.send_ids) != expected:
        raise BenchError(f"planned {len(plan.send_ids)} reminders, not {expected}")

    note(f"sending {len(plan.send_ids)} emails in this process")
    started = time.perf_counter()
    send_all(plan.send_ids, threads=args.threads)
    send_seconds = time.perf_counter() - started
    emails_sent = len(mail.outbox)

    note("planning again, twice, and delivering every send task a second time")
    started = time.perf_counter()
    rerun = reminder_plan()
    rerun_seconds = time.perf_counter() - started
    again = reminder_plan()
    send_all([*rerun.send_ids, *again.send_ids, *plan.send_ids], threads=args.threads)
    duplicates = len(mail.outbox) - emails_sent
    addresses = [m.to[0] for m in mail.outbox]
    duplicates += len(addresses) - len(set(addresses))

    figures: dict[str, object] = {
        "teams": args.teams,
        "members_per_team": args.members,
        "floor_insert_seconds": f"{floor:.3f}",
        "plan_seconds": f"{plan_seconds:.3f}",
        "plan_vs_floor": f"{plan_seconds / floor:.1f}",
        "planner_queries": planner_queries,
    }
    if queries_100 is not None:
        figures["planner_queries_100_teams"] = queries_100
    figures.update(
        {
            "reminder_rows": Reminder.objects.count(),
            "emails_sent": emails_sent,
            "send_seconds": f"{send_seconds:.2f}",
            "send_threads": args.threads,
            "emails_per_second": f"{emails_sent / send_seconds:.0f}",
            "rerun_plan_seconds": f"{rerun_seconds:.3f}",
            "duplicates_after_rerun": duplicates,
        }
    )
    return figures, plan_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--threads", type=int, default=8, help="concurrent senders")
    parser.add_argument("--keep-db", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args(argv)
    if min(args.teams, args.members, args.threads) < 1:
        parser.error("--teams, --members and --threads must be at least 1")
    return run_bench(run, args, prefix="teamlead-bench-reminders-")


if __name__ == "__main__":
    sys.exit(main())
