"""The JQL the sync sends: the team's filter, a time window, and a fixed order."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

# JQL reads a date literal in the time zone of the account that runs the query. When
# that zone is unknown, step back far enough for any zone on Earth (UTC-12 to UTC+14).
UNKNOWN_ZONE_STEP_BACK = timedelta(hours=14)
_ORDER_BY = re.compile(r"order\s+by\b", re.IGNORECASE)


def _outside_quotes(jql: str) -> tuple[list[int], str]:
    """Where ``jql``'s characters outside quoted strings are (quote marks and backslash
    escapes left out), and the quote left open at the end ("" if none)."""
    positions = []
    quote = ""
    escaped = False
    for index, char in enumerate(jql):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        else:
            positions.append(index)
    return positions, quote


def jql_split_order_by(jql: str) -> tuple[str, str]:
    """``jql`` as (filter, order clause), finding ORDER BY only outside quoted strings."""
    for index in _outside_quotes(jql)[0]:
        if (index == 0 or not _is_word(jql[index - 1])) and _ORDER_BY.match(jql, index):
            return jql[:index].strip(), jql[index:].strip()
    return jql.strip(), ""


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def jql_unbalanced(jql: str) -> str:
    """What is unbalanced in ``jql`` (a quote or a parenthesis), or "" if nothing."""
    positions, quote = _outside_quotes(jql)
    depth = 0
    for index in positions:
        if jql[index] == "(":
            depth += 1
        elif jql[index] == ")":
            depth -= 1
            if depth < 0:
                return "a closing parenthesis has no opening one"
    if quote:
        return f"a {quote} quote is not closed"
    if depth:
        return "a parenthesis is not closed"
    return ""


def jql_zone(name: str | None) -> zoneinfo.ZoneInfo | None:
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def jql_date_literal(*, moment: datetime, zone_name: str | None) -> str:
    """``moment`` as a JQL date literal (minute precision) Jira reads as at or before it.

    The minutes are cut, which only moves the literal earlier. A wall-clock time that
    happens twice when clocks go back could be read as the later of the two, so then
    the literal steps back an hour.
    """
    zone = jql_zone(zone_name)
    if zone is None:
        local = (moment - UNKNOWN_ZONE_STEP_BACK).astimezone(UTC)
    else:
        local = moment.astimezone(zone)
        other = local.replace(fold=1 - local.fold)
        if other.utcoffset() != local.utcoffset():
            local = (moment - timedelta(hours=1)).astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M")


def jql_build(
    *, where: str, field: str, since: datetime | None = None, zone_name: str | None = None
) -> str:
    """The team's filter, optionally from ``since`` on, ordered by ``field`` then key.

    The filter goes in parentheses so that an ``OR`` in it cannot escape the window.
    """
    jql = f"({where})"
    if since is not None:
        jql += f' AND {field} >= "{jql_date_literal(moment=since, zone_name=zone_name)}"'
    return f"{jql} ORDER BY {field} ASC, key ASC"


_PROJECT = re.compile(
    r"""\bproject\s*(?:=|\bin\s*\()\s*["']?([A-Za-z][A-Za-z0-9_]{0,254})["']?\s*[),]?""",
    re.IGNORECASE,
)


def jql_project_key(jql: str) -> str:
    """The first project key the filter asks for (``project = PAY``, ``project in (PAY,
    OPS)``), in capitals; "" when it names none, or only by number."""
    where, _ = jql_split_order_by(jql)
    match = _PROJECT.search(where)
    return match.group(1).upper() if match else ""
