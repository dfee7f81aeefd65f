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
import base64
import bisect
import json
import random
import re
import signal
import sys
import threading
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

STATUSES = {
    # name: (id, category key, category id, category name, colour)
    "To Do": ("10000", "new", 2, "To Do", "blue-gray"),
    "In Progress": ("3", "indeterminate", 4, "In Progress", "yellow"),
    "In Review": ("10001", "indeterminate", 4, "In Progress", "yellow"),
    "Done": ("10002", "done", 3, "Done", "green"),
}
TYPES = {"Story": "10001", "Bug": "10004", "Task": "10002"}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4"}
FIELDS = [
    # (id, name, clause names, schema type)
    ("summary", "Summary", ["summary"], "string"),
    ("issuetype", "Issue Type", ["issuetype", "type"], "issuetype"),
    ("status", "Status", ["status"], "status"),
    ("priority", "Priority", ["priority"], "priority"),
    ("assignee", "Assignee", ["assignee"], "user"),
    ("reporter", "Reporter", ["reporter"], "user"),
    ("labels", "Labels", ["labels"], "array"),
    ("components", "Component/s", ["component"], "array"),
    ("created", "Created", ["created", "createdDate"], "datetime"),
    ("updated", "Updated", ["updated", "updatedDate"], "datetime"),
    ("resolutiondate", "Resolved", ["resolutiondate", "resolved"], "datetime"),
    (
        "statuscategorychangedate",
        "Status Category Changed",
        ["statusCategoryChangedDate"],
        "datetime",
    ),
]
PEOPLE = [
    ("5b10a2844c20165700ede21g", "jdoe", "Jane Doe"),
    ("5b10ac8d82e05b22cc7d4ef5", "mkhan", "Mo Khan"),
    ("712020:0b2c1f3e-aaaa", "lsilva", "Lia Silva"),
    ("60d0f1e2a3b4c5d6e7f80910", "tnguyen", "Tam Nguyen"),
]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(slots=True)
class FakeIssue:
    id: int
    project: str
    number: int
    summary: str
    issue_type: str = "Story"
    status: str = "To Do"
    priority: str | None = "Medium"
    assignee: int | None = None  # index into PEOPLE
    reporter: int | None = 0
    labels: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    created_ms: int = 0
    updated_ms: int = 0
    resolved_ms: int | None = None
    category_changed_ms: int | None = None

    @property
    def key(self) -> str:
        return f"{self.project}-{self.number}"


@dataclass
class Fault:
    match: str
    status: int | None = None
    times: int = 1
    retry_after: str | None = None
    body: str | None = None
    delay: float = 0.0


class JqlError(Exception):
    pass


# -- JQL ------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|(?P<op>>=|<=|!=|=|>|<|~)"""
    r"""|(?P<punct>[(),])|(?P<word>[A-Za-z0-9_.\-/:]+))"""
)
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


@dataclass
class Query:
    test: Callable[[FakeIssue], bool]
    lower: dict[str, int]  # field -> smallest ms, from top-level "field >=" clauses
    order: list[tuple[str, bool]]  # (field, descending)


class JqlParser:
    def __init__(self, jql: str, zone: zoneinfo.ZoneInfo) -> None:
        self.zone = zone
        self.tokens: list[tuple[str, str]] = []
        position = 0
        jql = jql.strip()
        while position < len(jql):
            match = _TOKEN.match(jql, position)
            if not match or match.end() == position:
                raise JqlError(
                    f"Error in the JQL Query: The character '{jql[position]}' is a reserved "
                    f"JQL character. (line 1, character {position + 1})"
                )
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0

    def parse(self) -> Query:
        lower: dict[str, int] = {}
        test: Callable[[FakeIssue], bool] = lambda issue: True  # noqa: E731
        if self.peek() and not self.at_order_by():
            test = self.expression(lower)
        order = [("key", False)]
        if self.at_order_by():
            self.index += 2
            order = []
            while True:
                name = self.word().lower()
                if name not in ("updated", "created", "key", "issuekey"):
                    raise JqlError(f"Not able to sort using field '{name}'.")
                descending = False
                if self.peek() and self.peek()[1].lower() in ("asc", "desc"):
                    descending = self.word().lower() == "desc"
                order.append(("key" if name == "issuekey" else name, descending))
                if self.peek() and self.peek()[1] == ",":
                    self.index += 1
                    continue
                break
        if self.peek():
            raise JqlError(
                f"Error in the JQL Query: Expecting end of query but got '{self.peek()[1]}'."
            )
        return Query(test=test, lower=lower, order=order)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def at_order_by(self) -> bool:
        ahead = self.tokens[self.index : self.index + 2]
        return [value.lower() for _, value in ahead] == ["order", "by"]

    def word(self) -> str:
        token = self.peek()
        if token is None:
            raise JqlError("Error in the JQL Query: Expecting more of the query.")
        self.index += 1
        kind, value = token
        if kind == "string":
            return json.loads(value) if value.startswith('"') else value[1:-1]
        return value

    def expression(self, lower: dict[str, int] | None) -> Callable[[FakeIssue], bool]:
        parts = [self.conjunction(lower)]
        while self.peek() and self.peek()[1].lower() == "or":
            self.index += 1
            parts.append(self.conjunction(None))
        if len(parts) == 1:
            return parts[0]
        if lower is not None:
            lower.clear()  # an OR makes no bound certain
        return lambda issue: any(part(issue) for part in parts)

    def conjunction(self, lower: dict[str, int] | None) -> Callable[[FakeIssue], bool]:
        parts = [self.term(lower)]
        while self.peek() and self.peek()[1].lower() == "and":
            self.index += 1
            parts.append(self.term(lower))
        if len(parts) == 1:
            return parts[0]
        return lambda issue: all(part(issue) for part in parts)

    def term(self, lower: dict[str, int] | None) -> Callable[[FakeIssue], bool]:
        token = self.peek()
        if token and token[1] == "(":
            self.index += 1
            inner = self.expression(None)
            if not self.peek() or self.peek()[1] != ")":
                raise JqlError("Error in the JQL Query: Expecting ')' before the end of the query.")
            self.index += 1
            return inner
        name = self.word().lower()
        op_token = self.peek()
        if not op_token or (op_token[0] != "op" and op_token[1].lower() not in ("in", "not")):
            raise JqlError(f"Error in the JQL Query: Expecting operator but got '{name}'.")
        self.index += 1
        op = op_token[1].lower()
        if op == "not":
            if self.word().lower() != "in":
                raise JqlError("Error in the JQL Query: Expecting 'in' after 'not'.")
            op = "not in"
        values = self.values() if op in ("in", "not in") else [self.word()]
        return self.clause(name, op, values, lower)

    def values(self) -> list[str]:
        if not self.peek() or self.peek()[1] != "(":
            raise JqlError("Error in the JQL Query: Expecting '(' after 'in'.")
        self.index += 1
        values = []
        while True:
            values.append(self.word())
            token = self.peek()
            self.index += 1
            if token and token[1] == ")":
                return values
            if not token or token[1] != ",":
                raise JqlError("Error in the JQL Query: Expecting ',' or ')'.")

    def date_ms(self, literal: str) -> int:
        for fmt in _DATE_FORMATS:
            try:
                naive = datetime.strptime(literal, fmt)
            except ValueError:
                continue
            return _ms(naive.replace(tzinfo=self.zone))
        raise JqlError(
            f"Date value '{literal}' for field 'updated' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a "
            "period format e.g. '-5d', '4w 2d'."
        )

    def clause(self, name, op, values, lower) -> Callable[[FakeIssue], bool]:
        if name == "project":
            wanted = {value.upper() for value in values}
            if op in ("=", "in"):
                return lambda issue: issue.project in wanted
            if op in ("!=", "not in"):
                return lambda issue: issue.project not in wanted
        if name in ("key", "issuekey", "id"):
            wanted = {value.upper() for value in values}
            if op in ("=", "in"):
                return lambda issue: issue.key in wanted or str(issue.id) in wanted
        if name == "labels" and op in ("=", "in"):
            wanted = set(values)
            return lambda issue: bool(wanted.intersection(issue.labels))
        if name == "status" and op in ("=", "in", "!=", "not in"):
            wanted = {value.lower() for value in values}
            positive = op in ("=", "in")
            return lambda issue: (issue.status.lower() in wanted) == positive
        if name in ("updated", "created") and op in (">=", ">", "<=", "<"):
            moment = self.date_ms(values[0])
            attribute = f"{name}_ms"
            if op == ">=" and lower is not None:
                lower[name] = max(lower.get(name, moment), moment)
            compare = {
                ">=": lambda a: a >= moment,
                ">": lambda a: a > moment,
                "<=": lambda a: a <= moment,
                "<": lambda a: a < moment,
            }[op]
            return lambda issue: compare(getattr(issue, attribute))
        raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")


# -- the server -----------------------------------------------------------------------


class FakeJira:
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
        handler = type("Handler", (_Handler,), {"fake": self})
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
                    created_ms=_ms(created),
                    updated_ms=_ms(created + step / 2),
                    category_changed_ms=_ms(created + step / 3),
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
            issue.updated_ms = _ms(at or datetime.now(UTC))
            self._indexes.clear()

    def touch_random(self, count: int, *, seed: int = 7) -> int:
        pick = random.Random(seed)
        with self.lock:
            chosen = pick.sample(list(self.issues.values()), min(count, len(self.issues)))
            now = datetime.now(UTC)
            for offset, issue in enumerate(chosen):
                issue.status = pick.choice(list(STATUSES))
                issue.summary += " (edited)"
                issue.updated_ms = _ms(now) + offset
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

    def render(self, issue: FakeIssue, fields: list[str], version: str) -> Any:
        if issue.id in self.broken:
            return self.broken[issue.id]
        base = self.url
        wanted = set(fields)
        everything = bool(wanted & {"*all", "*navigable"})
        rendered: dict[str, Any] = {}
        values = {
            "summary": lambda: issue.summary,
            "issuetype": lambda: self._type(issue.issue_type),
            "status": lambda: self._status(issue.status),
            "priority": lambda: self._priority(issue.priority),
            "assignee": lambda: self._person(issue.assignee),
            "reporter": lambda: self._person(issue.reporter),
            "labels": lambda: list(issue.labels),
            "components": lambda: [
                {
                    "self": f"{base}/rest/api/{version}/component/1000{n}",
                    "id": f"1000{n}",
                    "name": c,
                }
                for n, c in enumerate(issue.components)
            ],
            "created": lambda: self._date(issue.created_ms),
            "updated": lambda: self._date(issue.updated_ms),
            "resolutiondate": lambda: self._date(issue.resolved_ms),
            "statuscategorychangedate": lambda: self._date(issue.category_changed_ms),
        }
        for name, value in values.items():
            if everything or name in wanted:
                rendered[name] = value()
        return {
            "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
            "id": str(issue.id),
            "self": f"{base}/rest/api/{version}/issue/{issue.id}",
            "key": issue.key,
            "fields": rendered,
        }

    def _date(self, ms: int | None) -> str | None:
        if ms is None:
            return None
        local = datetime.fromtimestamp(ms / 1000, self.zone)
        return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}" + local.strftime("%z")

    def _status(self, name: str) -> dict:
        status_id, key, category_id, category_name, colour = STATUSES[name]
        base = self.url
        return {
            "self": f"{base}/rest/api/2/status/{status_id}",
            "description": "",
            "iconUrl": f"{base}/images/icons/statuses/generic.png",
            "name": name,
            "id": status_id,
            "statusCategory": {
                "self": f"{base}/rest/api/2/statuscategory/{category_id}",
                "id": category_id,
                "key": key,
                "colorName": colour,
                "name": category_name,
            },
        }

    def _type(self, name: str) -> dict:
        return {
            "self": f"{self.url}/rest/api/2/issuetype/{TYPES[name]}",
            "id": TYPES[name],
            "description": "",
            "iconUrl": f"{self.url}/images/icons/issuetypes/{name.lower()}.svg",
            "name": name,
            "subtask": False,
            "hierarchyLevel": 0,
        }

    def _priority(self, name: str | None) -> dict | None:
        if name is None:
            return None
        return {
            "self": f"{self.url}/rest/api/2/priority/{PRIORITIES[name]}",
            "iconUrl": f"{self.url}/images/icons/priorities/{name.lower()}.svg",
            "name": name,
            "id": PRIORITIES[name],
        }

    def _person(self, index: int | None) -> dict | None:
        if index is None:
            return None
        account, username, name = PEOPLE[index]
        avatars = {
            size: f"{self.url}/avatar/{account}/{size}.png"
            for size in ("48x48", "24x24", "16x16", "32x32")
        }
        if self.deployment == "cloud":
            return {
                "self": f"{self.url}/rest/api/3/user?accountId={account}",
                "accountId": account,
                "avatarUrls": avatars,
                "displayName": name,
                "active": True,
                "timeZone": self.time_zone,
                "accountType": "atlassian",
            }
        return {
            "self": f"{self.url}/rest/api/2/user?username={username}",
            "name": username,
            "key": f"JIRAUSER{10000 + index}",
            "emailAddress": f"{username}@example.com",
            "avatarUrls": avatars,
            "displayName": name,
            "active": True,
            "timeZone": self.time_zone,
        }

    def server_info(self) -> dict:
        now = datetime.now(self.zone)
        info = {
            "baseUrl": self.url,
            "buildDate": "2025-01-14T00:00:00.000+0000",
            "serverTime": now.strftime("%Y-%m-%dT%H:%M:%S.000%z"),
            "scmInfo": "1f51473f5c7b75c1a69a0090f4832cdc5053702a",
            "serverTitle": "Fake Jira",
        }
        if self.deployment == "cloud":
            info |= {
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "buildNumber": 100281,
                "defaultLocale": {"locale": "en_US"},
            }
        else:
            info |= {
                "version": "9.12.15",
                "versionNumbers": [9, 12, 15],
                "deploymentType": "Server",
                "buildNumber": 9120015,
                "databaseBuildNumber": 9120015,
            }
        return info

    def myself(self) -> dict:
        if self.deployment == "cloud":
            return {
                "self": f"{self.url}/rest/api/3/user?accountId=557058:fake-bot",
                "accountId": "557058:fake-bot",
                "accountType": "atlassian",
                "emailAddress": self.email,
                "avatarUrls": {},
                "displayName": "Sync Bot",
                "active": True,
                "timeZone": self.time_zone,
                "locale": "en_US",
            }
        return {
            "self": f"{self.url}/rest/api/2/user?username=sync-bot",
            "key": "JIRAUSER10999",
            "name": "sync-bot",
            "emailAddress": self.email,
            "avatarUrls": {},
            "displayName": "Sync Bot",
            "active": True,
            "timeZone": self.time_zone,
            "locale": "en_GB",
            "groups": {"size": 1, "items": []},
            "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles",
        }

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


class _Handler(BaseHTTPRequestHandler):
    fake: FakeJira
    protocol_version = "HTTP/1.1"
    server_version = "FakeJira/1.0"
    # Headers and body go out as two writes; with Nagle on, each answer waits ~40 ms
    # for the client's delayed ACK, which a real Jira behind a proper server does not.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _send(
        self,
        status: int,
        payload: Any = None,
        *,
        raw: str | None = None,
        headers: dict | None = None,
    ) -> None:
        body = (raw if raw is not None else json.dumps(payload)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        fake = self.fake
        given = self.headers.get("Authorization", "")
        if fake.deployment == "cloud":
            expected = "Basic " + base64.b64encode(f"{fake.email}:{fake.token}".encode()).decode()
        else:
            expected = f"Bearer {fake.token}"
        return given == expected

    def _handle(self, method: str) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with fake.lock:
            fake.requests.append((method, path, query))
        if path.startswith("/_fake/"):
            return self._control(path, body)
        if "/search" in path and fake.before_search is not None:
            with fake.lock:
                fake.search_requests += 1
                number = fake.search_requests
            fake.before_search(fake, number)
        fault = fake._fault_for(path)
        if fault is not None:
            time.sleep(fault.delay)
            if fault.status is not None or fault.body is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                raw = fault.body
                if raw is None:
                    raw = json.dumps(
                        {"errorMessages": [f"Fake failure {fault.status}"], "errors": {}}
                    )
                return self._send(fault.status or 200, raw=raw, headers=headers)
        match = re.fullmatch(r"/rest/api/(2|3|latest)/(.+)", path)
        if not match:
            return self._send(404, {"errorMessages": ["Not found"], "errors": {}})
        version, resource = match.groups()
        if version == "3" and fake.deployment == "dc":
            return self._send(404, raw="<html><body>Not Found</body></html>")
        if resource == "serverInfo":
            return self._send(200, fake.server_info())
        if not self._authorised():
            return self._send(
                401,
                {
                    "errorMessages": [
                        "You are not authenticated. "
                        "Authentication required to perform this operation."
                    ],
                    "errors": {},
                },
            )
        if fake.forbidden_reason:
            return self._send(
                403,
                {"errorMessages": ["Forbidden"], "errors": {}},
                headers={"X-Authentication-Denied-Reason": fake.forbidden_reason},
            )
        if resource == "myself":
            return self._send(200, fake.myself())
        if resource == "field":
            return self._send(
                200,
                [
                    {
                        "id": fid,
                        "key": fid,
                        "name": name,
                        "custom": False,
                        "orderable": True,
                        "navigable": True,
                        "searchable": True,
                        "clauseNames": clauses,
                        "schema": {"type": kind, "system": fid},
                    }
                    for fid, name, clauses, kind in FIELDS
                ],
            )
        if resource == "user/search" and method == "GET":
            status, answer = fake.user_search(query)
            return self._send(status, answer)
        if resource in ("search", "search/jql"):
            return self._search(resource, version, query)
        if resource == "issue" and method == "POST":
            try:
                payload = json.loads(body or b"null")
            except ValueError:
                return self._send(400, {"errorMessages": ["Unexpected character"], "errors": {}})
            status, answer = fake.create(payload, version)
            return self._send(status, answer)
        return self._send(404, {"errorMessages": [f"No resource {resource}"], "errors": {}})

    def _search(self, resource: str, version: str, query: dict[str, list[str]]) -> None:
        fake = self.fake
        cloud = fake.deployment == "cloud"
        if cloud and resource == "search":
            return self._send(
                410,
                {
                    "errorMessages": [
                        "The requested API has been removed. Please migrate to the "
                        "/rest/api/3/search/jql API. A full migration guideline is available at "
                        "https://developer.atlassian.com/changelog/#CHANGE-2046"
                    ],
                    "errors": {},
                },
            )
        if not cloud and resource == "search/jql":
            return self._send(404, raw="<html><body>Oops, you've found a dead link.</body></html>")
        jql = (query.get("jql") or [""])[0]
        fields = [f for value in query.get("fields", []) for f in value.split(",") if f]
        if not fields:
            fields = ["id"] if cloud else ["*navigable"]
        try:
            limit = max(0, min(int((query.get("maxResults") or ["50"])[0]), fake.max_results))
            if cloud:
                token = (query.get("nextPageToken") or [""])[0]
                offset = _token_offset(token, jql) if token else 0
            else:
                offset = int((query.get("startAt") or ["0"])[0])
        except ValueError:
            return self._send(400, {"errorMessages": ["Invalid paging parameters."], "errors": {}})
        if fake.page_delay:
            time.sleep(fake.page_delay)
        try:
            with fake.lock:
                issues, total, is_last = fake.search(jql, offset=offset, limit=limit)
                rendered = [fake.render(issue, fields, version) for issue in issues]
                fake.searches += 1
        except JqlError as error:
            return self._send(
                400, {"errorMessages": [str(error)], "errors": {}, "warningMessages": []}
            )
        if cloud:
            answer: dict[str, Any] = {"issues": rendered, "isLast": is_last}
            if not is_last:
                answer["nextPageToken"] = _token(offset + len(issues), jql)
        else:
            answer = {
                "expand": "schema,names",
                "startAt": offset,
                "maxResults": limit,
                "total": total,
                "issues": rendered,
            }
        self._send(200, answer)

    def _control(self, path: str, body: bytes) -> None:
        fake = self.fake
        if path == "/_fake/touch":
            count = int(json.loads(body or b"{}").get("count", 0))
            return self._send(200, {"touched": fake.touch_random(count)})
        if path == "/_fake/stats":
            return self._send(200, {"issues": len(fake.issues), "searches": fake.searches})
        return self._send(404, {"errorMessages": ["no such control"], "errors": {}})


def _token(offset: int, jql: str) -> str:
    raw = json.dumps({"o": offset, "q": abs(hash(jql)) % 10**9}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _token_offset(token: str, jql: str) -> int:
    data = json.loads(base64.urlsafe_b64decode(token.encode()))
    if data.get("q") != abs(hash(jql)) % 10**9:
        raise ValueError("the token belongs to another query")
    return int(data["o"])


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
