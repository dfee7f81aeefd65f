"""The JQL the fake Jira understands (see ``fake_jira``), parsed into a test per ticket."""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tests.jira.fake_data import FakeIssue, epoch_ms


class JqlError(Exception):
    pass


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
            return epoch_ms(naive.replace(tzinfo=self.zone))
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
