"""The fake Jira's HTTP side: requests routed to ``FakeJira``, answers as Jira sends them."""

from __future__ import annotations

import base64
import json
import re
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from tests.jira.fake_data import FIELDS
from tests.jira.fake_jql import JqlError

if TYPE_CHECKING:
    from tests.jira.fake_jira import FakeJira


class FakeJiraHandler(BaseHTTPRequestHandler):
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
