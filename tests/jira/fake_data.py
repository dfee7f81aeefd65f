"""The fake Jira's data: its statuses, types, priorities, fields, people and tickets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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


def epoch_ms(moment: datetime) -> int:
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
