"""Talks to one Jira site through the ``jira`` package, and says plainly what went wrong.

The package's own retries are switched off (``max_retries=0``): it would wait as
little as half of a 429's Retry-After, and it sleeps 20 s or more on a refused
connection. The sync decides how long to wait and whether to try again; here every
failure becomes one of four errors, each with a message fit to show a team lead:

- ``JiraAuthError``: 401/403, the credentials or the account's rights are wrong;
- ``JiraSetupError``: wrong address, wrong deployment, a JQL or field Jira refuses;
- ``JiraRateLimited``: 429 (or 503 with Retry-After), with how long Jira asked to wait;
- ``JiraTransientError``: 5xx, timeouts, refused connections, answers that are not JSON
  or not in the expected shape.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from jira import JIRA, JIRAError

from practices.jira.addresses import AddressRefused, checked_session_mount
from practices.models import JiraDeployment

USER_AGENT = "Teamlead (Jira ticket sync)"
DEFAULT_TIMEOUT = (5.0, 30.0)  # seconds to connect, seconds to wait for an answer


class JiraProblem(Exception):
    """Something went wrong talking to Jira; ``message`` says what, in plain words."""

    def __init__(
        self, message: str, *, status: int | None = None, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        # Jira's complaints by field name (its "errors" object), when it named fields.
        self.fields = fields or {}


class JiraAuthError(JiraProblem):
    pass


class JiraSetupError(JiraProblem):
    pass


class JiraTransientError(JiraProblem):
    pass


class JiraRateLimited(JiraTransientError):
    def __init__(self, message: str, *, status: int, retry_after: float | None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SearchPage:
    issues: list[Any]
    # What asks for the next page: Cloud's nextPageToken, Data Center's startAt; None
    # when this page is the last.
    next_cursor: str | int | None
    total: int | None = None


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _short(text: str | None, limit: int = 300) -> str:
    text = " ".join((text or "").split())
    if text.startswith("<"):
        return "(a web page instead of Jira's usual error message)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class JiraClient:
    """One site, one account. Connects on first use; use as a context manager."""

    def __init__(
        self,
        *,
        base_url: str,
        deployment: str,
        email: str,
        token: str,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.deployment = deployment
        self.host = urlsplit(self.base_url).netloc or self.base_url
        self._email = email
        self._token = token
        self._timeout = timeout
        self._jira: JIRA | None = None
        self.server: dict[str, Any] = {}

    @property
    def is_cloud(self) -> bool:
        return self.deployment == JiraDeployment.CLOUD

    def __enter__(self) -> JiraClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._jira is not None:
            self._jira.close()
            self._jira = None

    # -- calls ----------------------------------------------------------------------

    def connect(self) -> dict[str, Any]:
        """Asks for serverInfo (the ``jira`` package needs it to pick Cloud's search)."""
        if self._jira is not None:
            return self.server
        try:
            with self._translated("serverInfo"):
                jira = JIRA(
                    server=self.base_url,
                    options={
                        # Cloud's v3 and Data Center's v2 answer alike for our fields.
                        "rest_api_version": "3" if self.is_cloud else "2",
                        "check_update": False,
                        "headers": {"User-Agent": USER_AGENT},
                    },
                    basic_auth=(self._email, self._token) if self.is_cloud else None,
                    token_auth=None if self.is_cloud else self._token,
                    # Asked below, once the session checks the addresses it connects to.
                    get_server_info=False,
                    max_retries=0,
                    timeout=self._timeout,
                    logging=False,
                )
                checked_session_mount(jira._session)
                try:
                    # What JIRA(get_server_info=True) does, on the checked session.
                    info = jira.server_info()
                    jira._version = tuple(info["versionNumbers"])
                    jira.deploymentType = info.get("deploymentType")
                except BaseException:
                    jira.close()
                    raise
                self._jira = jira
        except JiraSetupError as problem:
            # Data Center has no v3 API: its 404 there deserves a better answer.
            said = self._v2_deployment() if problem.status == 404 and self.is_cloud else None
            if said and said != "Cloud":
                raise self._wrong_deployment(found_cloud=False, said=said) from None
            raise
        jira = self._jira
        # The package read serverInfo while connecting and kept what it needs of it.
        self.server = {
            "deploymentType": jira.deploymentType,
            "version": ".".join(str(part) for part in getattr(jira, "_version", ())),
        }
        found_cloud = jira.deploymentType == "Cloud"
        if found_cloud != self.is_cloud:
            self.close()
            raise self._wrong_deployment(found_cloud=found_cloud, said=jira.deploymentType)
        return self.server

    def _v2_deployment(self) -> str | None:
        """What the site's v2 serverInfo says its deployment is, if it answers at all."""
        try:
            with checked_session_mount(requests.Session()) as session:
                answer = session.get(
                    f"{self.base_url}/rest/api/2/serverInfo",
                    timeout=self._timeout,
                    headers={"Accept": "application/json", "User-Agent": USER_AGENT},
                ).json()
        except (requests.exceptions.RequestException, AddressRefused, ValueError):
            return None
        return answer.get("deploymentType") if isinstance(answer, dict) else None

    def _wrong_deployment(self, *, found_cloud: bool, said: str | None) -> JiraSetupError:
        if found_cloud:
            return JiraSetupError(
                f"{self.host} is Jira Cloud, but Data Center is selected. Choose Cloud, "
                "with the account's email and an API token."
            )
        return JiraSetupError(
            f"{self.host} is Jira Data Center or Server (it says {said or 'nothing'} about "
            "itself), but Cloud is selected. Choose Data Center, with a personal access token."
        )

    def myself(self) -> dict[str, Any]:
        jira = self._connected()
        with self._translated("myself"):
            answer = jira.myself()
        if not isinstance(answer, dict):
            raise JiraTransientError(f"{self.host} answered /myself in an unexpected shape.")
        return answer

    def search_page(
        self,
        *,
        jql: str,
        fields: tuple[str, ...] | list[str],
        cursor: str | int | None = None,
        page_size: int = 100,
    ) -> SearchPage:
        """One page of a search: Cloud's /search/jql by token, Data Center's /search by startAt."""
        jira = self._connected()
        with self._translated("search"):
            if self.is_cloud:
                answer = jira.enhanced_search_issues(
                    jql,
                    nextPageToken=cursor if isinstance(cursor, str) else None,
                    maxResults=page_size,
                    fields=list(fields),
                    json_result=True,
                )
                if answer is None:
                    # The package only takes this path when serverInfo said Cloud.
                    raise JiraSetupError(f"{self.host} did not say it is Jira Cloud.")
            else:
                answer = jira.search_issues(
                    jql,
                    startAt=cursor if isinstance(cursor, int) else 0,
                    maxResults=page_size,
                    fields=list(fields),
                    json_result=True,
                )
        return self._page(answer, cursor=cursor, page_size=page_size)

    def issue_create(
        self,
        *,
        project_key: str,
        issue_type: str,
        summary: str,
        description: str,
        assignee_account_id: str = "",
        labels: list[str] | None = None,
    ) -> tuple[str, str]:
        """Creates a ticket; returns its (id, key). Not retried here: a POST is not idempotent."""
        jira = self._connected()
        fields: dict[str, Any] = {
            "project": {"key": project_key},
            "issuetype": {"name": issue_type},
            "summary": summary,
            "description": _document(description) if self.is_cloud else description,
        }
        if labels:
            fields["labels"] = labels
        if assignee_account_id:
            who = "accountId" if self.is_cloud else "name"
            fields["assignee"] = {who: assignee_account_id}
        with self._translated("create a ticket"):
            issue = jira.create_issue(fields=fields, prefetch=False)
        raw = issue.raw or {}
        if not raw.get("key"):
            raise JiraTransientError(f"{self.host} created a ticket but did not say its key.")
        return str(raw.get("id", "")), str(raw["key"])

    def user_find(self, *, email: str) -> str:
        """Who ``email`` is in Jira: Cloud's accountId, Data Center's username; "" if nobody.

        Cloud searches ``query`` (email, name or display name); Data Center ``username``
        (username, name or email). Only an active person whose email is that one counts,
        or the only person found when Jira hides emails (Cloud's privacy settings).
        """
        if not email:
            return ""
        jira = self._connected()
        params = {"query": email} if self.is_cloud else {"username": email, "maxResults": 10}
        with self._translated("a user search"):
            answer = jira._get_json("user/search", params=params)
        if not isinstance(answer, list):
            raise JiraTransientError(f"{self.host} answered a user search in an unexpected shape.")
        ident = "accountId" if self.is_cloud else "name"
        people = [
            person
            for person in answer
            if isinstance(person, dict)
            and person.get(ident)
            and person.get("active", True)
            and person.get("accountType", "atlassian") == "atlassian"
        ]
        exact = [p for p in people if str(p.get("emailAddress", "")).lower() == email.lower()]
        if len(exact) == 1:
            return str(exact[0][ident])
        hidden = [p for p in people if not p.get("emailAddress")]
        if not exact and len(people) == 1 and hidden:
            return str(hidden[0][ident])
        return ""

    # -- helpers --------------------------------------------------------------------

    def _connected(self) -> JIRA:
        self.connect()
        if self._jira is None:  # connect() raises rather than leave it unset
            raise JiraTransientError(f"Could not connect to {self.host}.")
        return self._jira

    def _page(self, answer: Any, *, cursor: str | int | None, page_size: int) -> SearchPage:
        if not isinstance(answer, dict) or not isinstance(answer.get("issues"), list):
            raise JiraTransientError(f"{self.host} answered a search in an unexpected shape.")
        issues = answer["issues"]
        if self.is_cloud:
            token = answer.get("nextPageToken")
            last = answer.get("isLast", not token) or not token or not issues
            return SearchPage(issues=issues, next_cursor=None if last else str(token))
        start = answer.get("startAt", cursor if isinstance(cursor, int) else 0)
        total = answer.get("total")
        if not isinstance(start, int) or (total is not None and not isinstance(total, int)):
            raise JiraTransientError(f"{self.host} answered a search with odd paging figures.")
        end = start + len(issues)
        more = bool(issues) and (end < total if total is not None else len(issues) >= page_size)
        return SearchPage(issues=issues, next_cursor=end if more else None, total=total)

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        try:
            yield
        except JiraProblem:
            raise
        except AddressRefused as refused:
            raise JiraSetupError(str(refused)) from None
        except JIRAError as error:
            raise self._from_status(error, action) from None
        except requests.exceptions.SSLError:
            raise JiraSetupError(
                f"{self.host}'s HTTPS certificate was refused. Check the address; a "
                "self-signed certificate is not accepted."
            ) from None
        except requests.exceptions.Timeout:
            raise JiraTransientError(
                f"{self.host} did not answer within {self._timeout[1]:g} seconds."
            ) from None
        except requests.exceptions.ConnectionError as error:
            reason = str(error)
            if "resolve" in reason or "Name or service" in reason or "getaddrinfo" in reason:
                why = "its name does not resolve; check the address"
            elif "refused" in reason.lower():
                why = "it refused the connection"
            else:
                why = "the connection failed"
            raise JiraTransientError(f"Could not reach {self.host}: {why}.") from None
        except requests.exceptions.JSONDecodeError:
            raise JiraTransientError(
                f"{self.host} answered {action} with something that is not Jira's JSON."
            ) from None
        except requests.exceptions.RequestException as error:
            raise JiraSetupError(
                f"Could not talk to {self.host} ({type(error).__name__}). Check the address."
            ) from None
        except (ValueError, KeyError, TypeError):
            # Not JSON, or JSON of another shape: a proxy's page, a truncated answer.
            raise JiraTransientError(
                f"{self.host} answered {action} with something that is not Jira's JSON."
            ) from None

    def _from_status(self, error: JIRAError, action: str) -> JiraProblem:
        status = error.status_code
        text = _short(error.text)
        headers = getattr(error.response, "headers", None) or {}
        if status == 401:
            hint = (
                "use the Atlassian account's email and an API token"
                if self.is_cloud
                else "use a personal access token"
            )
            return JiraAuthError(
                f"Jira refused the credentials (401 Unauthorized): {hint}.", status=status
            )
        if status == 403:
            reason = f": {text}" if text else ""
            return JiraAuthError(
                f"Jira refused access (403 Forbidden){reason}. The account may be locked "
                "behind a CAPTCHA, or lack permission to browse these projects.",
                status=status,
            )
        wait = retry_after_seconds(headers.get("Retry-After"))
        if status == 429 or (status == 503 and wait is not None):
            return JiraRateLimited(
                f"Jira asked us to slow down ({status}"
                + (f", retry after {wait:g} s)." if wait is not None else ")."),
                status=status,
                retry_after=wait,
            )
        detail = f": {text}" if text else ""
        if status is None or status >= 500:
            return JiraTransientError(
                f"Jira failed to answer {action} ({status or 'no answer'}){detail}.", status=status
            )
        if status == 400:
            return JiraSetupError(
                f"Jira refused the {action}: {text or 'no reason given'}.",
                status=400,
                fields=_field_errors(error.response),
            )
        if status == 404:
            return JiraSetupError(
                f"No Jira answered at {self.host} ({action}: 404 Not Found). Check the address, "
                "including a path such as /jira if your site has one.",
                status=404,
            )
        if status == 410:
            return JiraSetupError(f"Jira says this API is gone (410){detail}.", status=410)
        return JiraSetupError(f"Jira answered {action} with {status}{detail}.", status=status)


def _field_errors(response: Any) -> dict[str, str]:
    try:
        errors = response.json().get("errors")
    except (AttributeError, ValueError):
        return {}
    if not isinstance(errors, dict):
        return {}
    return {str(name): str(text) for name, text in errors.items()}


_URL = re.compile(r"https?://[^\s<>\"]+")


def _document(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document (Cloud's v3 API takes nothing else).

    Blank lines separate paragraphs, line breaks stay, and web addresses become links
    (v3 does not turn plain text into links by itself).
    """
    paragraphs = [part for part in text.split("\n\n") if part.strip()] or [""]
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": _inline(part)} for part in paragraphs],
    }


def _inline(paragraph: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    for number, line in enumerate(paragraph.split("\n")):
        if number:
            nodes.append({"type": "hardBreak"})
        position = 0
        for match in _URL.finditer(line):
            if match.start() > position:
                nodes.append({"type": "text", "text": line[position : match.start()]})
            url = match.group()
            nodes.append(
                {"type": "text", "text": url, "marks": [{"type": "link", "attrs": {"href": url}}]}
            )
            position = match.end()
        if position < len(line):
            nodes.append({"type": "text", "text": line[position:]})
    return nodes
