"""A fake Jira site: a real HTTP server on 127.0.0.1, in a thread, for tests and the bench.

It answers what the sync and "Test connection" ask, in the JSON shapes of Atlassian's
REST API documentation:

- ``GET /rest/api/{2,3}/serverInfo`` (no sign-in needed, as on a real site);
- ``GET /rest/api/{2,3}/myself`` with the account's ``timeZone``;
- ``GET /rest/api/{2,3}/field``, which the ``jira`` package reads before a search;
- Cloud: ``GET /rest/api/{2,3}/search/jql`` paged by ``nextPageToken`` (no total),
  and ``/search`` answering 410 Gone as Cloud now does;
- Data Center: ``GET /rest/api/2/search`` paged by ``startAt`` with ``total``;
- ``POST /rest/api/{2,3}/issue`` to create a ticket (v3 wants an Atlassian Document);
  ``created`` keeps each request's fields (description, labels, assignee) as sent;
- ``GET /rest/api/3/user/search?query=`` (Cloud, by accountId; emails in
  ``hidden_emails`` are left out of the answer, as Cloud's privacy settings do) and
  ``GET /rest/api/2/user/search?username=`` (Data Center, by username).

Searches understand the JQL the app sends: ``project = X`` / ``project in (…)``,
``labels = x``, ``key = X-1``, date comparisons on ``updated`` and ``created`` whose
literals are read in the account's time zone (to the minute), AND/OR, parentheses,
and ORDER BY updated/created/key. Anything else is refused with Jira's 400 shape.

Failures on demand: ``fail(...)`` queues answers for matching requests (status codes
with Retry-After, slow answers, bodies that are not JSON); ``page_delay`` slows every
search; ``broken[id]`` replaces one ticket's JSON; ``before_search(fake, n)`` runs
before the n-th search is answered, to change things between pages. ``requests``
records what came.

Run alone (for the bench): ``python -m tests.jira.fake_jira --tickets 50000``; it
prints ``url: http://127.0.0.1:PORT`` and serves until stopped. ``POST /_fake/touch``
with ``{"count": N}`` updates N tickets, as people would.
"""

from __future__ import annotations

import argparse
import bisect
import random
import signal
import sys
import threading
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

from tests.jira.fake_data import PEOPLE, PRIORITIES, STATUSES, TYPES, FakeIssue, Fault, epoch_ms
from tests.jira.fake_http import FakeJiraHandler
from tests.jira.fake_jql import JqlParser
from tests.jira.fake_json import JiraJson

# -- the server -----------------------------------------------------------------------


class FakeJira(JiraJson):
    def __init__(
        self,
        *,
        deployment: str = "cloud",
        email: str = "sync-bot@example.com",
        token: str = "fake-token-123",  # noqa: S107 - the fake's own made-up token
        time_zone: str = "Europe/Berlin",
        max_results: int = 100,
    ) -> None:
        self.deployment = deployment
        self.email = email
        self.token = token
        self.time_zone = time_zone
        self.max_results = max_results
        self.issues: dict[int, FakeIssue] = {}
        self.broken: dict[int, Any] = {}
        self.faults: list[Fault] = []
        self.page_delay = 0.0
        self.forbidden_reason: str | None = None
        self.before_search: Callable[[FakeJira, int], object] | None = None
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.created: dict[str, dict[str, Any]] = {}  # key -> the fields as sent
        self.hidden_emails: set[str] = set()
        self.searches = 0
        self.search_requests = 0
        self.lock = threading.RLock()
        self._indexes: dict[str, list[FakeIssue]] = {}
        self._next_id = 10000
        self._numbers: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port: int = 0) -> FakeJira:
        handler = type("Handler", (FakeJiraHandler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeJira:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    # -- tickets --------------------------------------------------------------------

    def add(
        self,
        count: int = 1,
        *,
        project: str = "PAY",
        start: datetime | None = None,
        step: timedelta = timedelta(minutes=7),
        seed: int = 1,
        **values: Any,
    ) -> list[FakeIssue]:
        """``count`` tickets, created and last updated ``step`` apart from ``start`` on."""
        pick = random.Random(seed)
        start = start or datetime.now(UTC) - step * (count + 10)
        added = []
        with self.lock:
            for index in range(count):
                number = self._numbers.get(project, 0) + 1
                self._numbers[project] = number
                created = start + step * index
                status = pick.choice(list(STATUSES))
                issue = FakeIssue(
                    id=self._next_id,
                    project=project,
                    number=number,
                    summary=f"Ticket {number}: {pick.choice(['Fix', 'Add', 'Tidy', 'Speed up'])} "
                    f"{pick.choice(['refunds', 'invoices', 'the ledger', 'payouts', 'login'])}",
                    issue_type=pick.choice(list(TYPES)),
                    status=status,
                    priority=pick.choice([*PRIORITIES, None]),
                    assignee=pick.choice([None, 0, 1, 2, 3]),
                    reporter=pick.randrange(len(PEOPLE)),
                    labels=pick.sample(
                        ["backend", "frontend", "billing", "tech-debt"], pick.randrange(3)
                    ),
                    components=pick.sample(["Billing", "API", "Web"], pick.randrange(2)),
                    created_ms=epoch_ms(created),
                    updated_ms=epoch_ms(created + step / 2),
                    category_changed_ms=epoch_ms(created + step / 3),
                )
                for name, value in values.items():
                    setattr(issue, name, value)
                if STATUSES[issue.status][1] == "done":
                    issue.resolved_ms = issue.updated_ms
                self._next_id += 1
                self.issues[issue.id] = issue
                added.append(issue)
            self._indexes.clear()
        return added

    def touch(self, issue: FakeIssue, *, at: datetime | None = None, **changes: Any) -> None:
        """Changes a ticket as a person would: its ``updated`` moves to now (or ``at``)."""
        with self.lock:
            for name, value in changes.items():
                setattr(issue, name, value)
            issue.updated_ms = epoch_ms(at or datetime.now(UTC))
            self._indexes.clear()

    def touch_random(self, count: int, *, seed: int = 7) -> int:
        pick = random.Random(seed)
        with self.lock:
            chosen = pick.sample(list(self.issues.values()), min(count, len(self.issues)))
            now = datetime.now(UTC)
            for offset, issue in enumerate(chosen):
                issue.status = pick.choice(list(STATUSES))
                issue.summary += " (edited)"
                issue.updated_ms = epoch_ms(now) + offset
            self._indexes.clear()
        return len(chosen)

    def delete(self, issue: FakeIssue) -> None:
        with self.lock:
            self.issues.pop(issue.id, None)
            self._indexes.clear()

    def move(self, issue: FakeIssue, project: str) -> None:
        """Moves a ticket to another project: new key, same id, and it counts as an update."""
        with self.lock:
            number = self._numbers.get(project, 0) + 1
            self._numbers[project] = number
            issue.project, issue.number = project, number
        self.touch(issue)

    def fail(self, match: str, **fault: Any) -> None:
        with self.lock:
            self.faults.append(Fault(match=match, **fault))

    # -- answering ------------------------------------------------------------------

    def _fault_for(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.match in path and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _sorted(self, order: list[tuple[str, bool]]) -> list[FakeIssue]:
        name = ",".join(f"{f}{'-' if d else ''}" for f, d in order)
        with self.lock:
            index = self._indexes.get(name)
            if index is None:
                index = list(self.issues.values())
                for field_name, descending in reversed(order):
                    if field_name == "key":
                        index.sort(key=lambda i: (i.project, i.number), reverse=descending)
                    else:
                        index.sort(
                            key=lambda i, a=f"{field_name}_ms": getattr(i, a), reverse=descending
                        )
                self._indexes[name] = index
            return index

    def search(
        self, jql: str, *, offset: int, limit: int
    ) -> tuple[list[FakeIssue], int | None, bool]:
        """(issues, total or None, is_last) for one page; the total only when it is cheap."""
        query = JqlParser(jql, self.zone).parse()
        index = self._sorted(query.order)
        first_field, descending = query.order[0]
        start = 0
        if not descending and first_field in query.lower:
            bound = query.lower[first_field]
            start = bisect.bisect_left(
                index, bound, key=lambda i, a=f"{first_field}_ms": getattr(i, a)
            )
        matched: list[FakeIssue] = []
        seen = 0
        position = start
        want_total = self.deployment == "dc"
        while position < len(index):
            issue = index[position]
            position += 1
            if query.test(issue):
                if offset <= seen < offset + limit:
                    matched.append(issue)
                seen += 1
                if not want_total and seen > offset + limit:
                    break
        is_last = seen <= offset + limit
        return matched, (seen if want_total else None), is_last

    def create(self, payload: Any, version: str) -> tuple[int, dict]:
        fields = payload.get("fields") if isinstance(payload, dict) else None
        if not isinstance(fields, dict):
            return 400, {
                "errorMessages": ["Can not deserialize instance of FieldsBean."],
                "errors": {},
            }
        errors = {}
        project = (fields.get("project") or {}).get("key")
        if project not in self._numbers and not any(
            i.project == project for i in self.issues.values()
        ):
            errors["project"] = "Specify a valid project ID or key"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        issue_type = (fields.get("issuetype") or {}).get("name")
        if issue_type not in TYPES:
            errors["issuetype"] = "Specify a valid issue type"
        description = fields.get("description")
        if version == "3" and description is not None and not isinstance(description, dict):
            errors["description"] = (
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)."
            )
        if errors:
            return 400, {"errorMessages": [], "errors": errors}
        assignee = fields.get("assignee") or {}
        who = assignee.get("accountId") or assignee.get("name")
        people = {p[0] if self.deployment == "cloud" else p[1]: n for n, p in enumerate(PEOPLE)}
        if who and who not in people:
            return 400, {
                "errorMessages": [],
                "errors": {"assignee": f"User '{who}' does not exist."},
            }
        (issue,) = self.add(
            1,
            project=project,
            start=datetime.now(UTC),
            summary=fields["summary"],
            issue_type=issue_type,
            status="To Do",
            assignee=people.get(who),
            labels=list(fields.get("labels") or []),
            components=[],
        )
        with self.lock:
            self.created[issue.key] = fields
        return 201, {
            "id": str(issue.id),
            "key": issue.key,
            "self": f"{self.url}/rest/api/{version}/issue/{issue.id}",
        }

    def user_search(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        """People whose username, display name or email starts with the search term."""
        cloud = self.deployment == "cloud"
        term = ((query.get("query" if cloud else "username") or [""])[0]).strip().lower()
        if not term:
            missing = "query" if cloud else "username"
            return 400, {"errorMessages": [f"The {missing} query parameter is required."]}
        found = []
        for index, (_, username, name) in enumerate(PEOPLE):
            email = f"{username}@example.com"
            if any(text.lower().startswith(term) for text in (username, name, email)):
                person = self._person(index) or {}
                if cloud and email not in self.hidden_emails:
                    person["emailAddress"] = email
                found.append(person)
        return 200, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake Jira site on 127.0.0.1.")
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--deployment", choices=["cloud", "dc"], default="cloud")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--time-zone", default="Europe/Berlin")
    parser.add_argument("--token", default="fake-token-123")
    parser.add_argument("--email", default="sync-bot@example.com")
    args = parser.parse_args(argv)
    fake = FakeJira(
        deployment=args.deployment, time_zone=args.time_zone, token=args.token, email=args.email
    )
    # A year and a half of history, one change every ~16 minutes on average.
    fake.add(args.tickets, step=timedelta(minutes=16), seed=2)
    fake.start(args.port)
    print(f"url: {fake.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
