"""One ticket's JSON from a Jira search, read into the values we store.

Jira answers in the same shape on Cloud and Data Center for the fields we ask for.
Anything unexpected in one ticket raises ``MalformedTicket``: the sync skips that
ticket and records why, instead of failing the whole page.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from practices.models import StatusCategory

# What the sync asks Jira for; the default ("*all") is many times heavier.
TICKET_FIELDS = (
    "summary",
    "issuetype",
    "status",
    "priority",
    "assignee",
    "reporter",
    "labels",
    "components",
    "created",
    "updated",
    "resolutiondate",
    "statuscategorychangedate",
)
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*-[0-9]+")
_CATEGORIES = frozenset(StatusCategory.values)


class MalformedTicket(Exception):
    def __init__(self, ticket: str, problem: str) -> None:
        super().__init__(f"{ticket}: {problem}")
        self.ticket = ticket
        self.problem = problem


@dataclass(slots=True)
class TicketData:
    jira_id: int
    key: str
    summary: str
    issue_type: str
    status: str
    status_category: str
    priority: str
    assignee_account_id: str
    assignee_name: str
    reporter_account_id: str
    reporter_name: str
    labels: str
    components: list[str]
    created: datetime
    updated: datetime
    resolved: datetime | None
    status_category_changed: datetime | None
    url: str


def jira_datetime(value: Any) -> datetime:
    """Jira's "2024-01-10T09:15:02.123+0100" as an aware UTC datetime."""
    if not isinstance(value, str):
        raise ValueError(f"expected a date, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed.astimezone(UTC)


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return value[:limit]


def _name(value: Any, what: str, *, required: bool, limit: int = 100) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, dict):
        raise ValueError(f"{what} is missing or not an object")
    return _text(value.get("name"), limit)


def _user(value: Any, what: str) -> tuple[str, str]:
    """(account id, display name); Data Center has ``key``/``name`` instead of accountId."""
    if value is None:
        return "", ""
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an object")
    account = value.get("accountId") or value.get("key") or value.get("name") or ""
    return _text(account, 128), _text(value.get("displayName"), 255)


def ticket_url(base_url: str, key: str) -> str:
    """The ticket's page on the Jira site at ``base_url`` (no trailing slash)."""
    return f"{base_url}/browse/{quote(key)}"


def ticket_from_json(raw: Any, *, base_url: str) -> TicketData:
    """Reads one issue of a search answer; raises ``MalformedTicket`` on anything odd."""
    if not isinstance(raw, dict):
        raise MalformedTicket("?", "a ticket that is not a JSON object")
    key = raw.get("key")
    name = key if isinstance(key, str) and key else f"id {raw.get('id')!r}"
    try:
        jira_id = int(raw["id"])
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"unexpected key {key!r}")
        fields = raw["fields"]
        if not isinstance(fields, dict):
            raise ValueError("fields is not an object")
        status = fields["status"]
        if not isinstance(status, dict):
            raise ValueError("status is not an object")
        category = (status.get("statusCategory") or {}).get("key") or "undefined"
        if category not in _CATEGORIES:
            category = StatusCategory.UNDEFINED
        labels = fields.get("labels") or []
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise ValueError("labels is not a list of text")
        components = fields.get("components") or []
        if not isinstance(components, list):
            raise ValueError("components is not a list")
        assignee = _user(fields.get("assignee"), "assignee")
        reporter = _user(fields.get("reporter"), "reporter")
        resolved = fields.get("resolutiondate")
        changed = fields.get("statuscategorychangedate")
        summary = fields["summary"]
        if not isinstance(summary, str):
            raise ValueError("summary is not text")
        return TicketData(
            jira_id=jira_id,
            key=key,
            summary=summary[:2000],
            issue_type=_name(fields.get("issuetype"), "issue type", required=True),
            status=_text(status.get("name"), 100) or "?",
            status_category=category,
            priority=_name(fields.get("priority"), "priority", required=False),
            assignee_account_id=assignee[0],
            assignee_name=assignee[1],
            reporter_account_id=reporter[0],
            reporter_name=reporter[1],
            labels=f" {' '.join(labels)} " if labels else "",
            components=[_name(c, "a component", required=True) for c in components],
            created=jira_datetime(fields["created"]),
            updated=jira_datetime(fields["updated"]),
            resolved=jira_datetime(resolved) if resolved else None,
            status_category_changed=jira_datetime(changed) if changed else None,
            url=ticket_url(base_url, key),
        )
    except KeyError as error:
        raise MalformedTicket(name, f"{error.args[0]} is missing") from None
    except (TypeError, ValueError, AttributeError) as error:
        raise MalformedTicket(name, str(error)[:200]) from None
