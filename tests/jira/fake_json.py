"""How the fake Jira renders tickets, people and itself, in the JSON of Jira's REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.jira.fake_data import PEOPLE, PRIORITIES, STATUSES, TYPES, FakeIssue


class JiraJson:
    """Rendering for ``FakeJira`` (``url``, ``zone``, ``deployment``, ``broken``…)."""

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
