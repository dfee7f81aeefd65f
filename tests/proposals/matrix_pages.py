"""Rows of the authorization matrix for the design page URLs.

``tests/test_permissions.py`` turns them into rows of its ``MATRIX``; they live here,
next to the design page tests, as plain dicts: ``{"method", "expected", "args",
"data", "headers"}``; ``expected`` maps each role to a status or to ``LOGIN`` (the
sign-in redirect).

The world the rows assume (``build_page_world``): team "pay" has design page 1 driven
by the plain member, with the senior asked to review it, and a decided proposal 1 with
no design page yet. Values written as ``"<user-pk:ROLE>"`` (in args or data) stand for
that person's user id: ``resolve(row, people)`` fills them in.
"""

from proposals.models import Proposal
from tests.proposals.test_pages_support import make_decided_proposal, make_design_page

LOGIN = "login"
ROLES = ("anonymous", "outsider", "observer", "member", "lead")


def _team_read(status=200):
    return {
        "anonymous": LOGIN,
        "outsider": 404,
        "observer": status,
        "member": status,
        "lead": status,
    }


def _writers(status):
    """Members and leads may; observers are refused; outsiders do not see the team."""
    return {"anonymous": LOGIN, "outsider": 404, "observer": 403, "member": status, "lead": status}


def _driver_or_lead(status):
    # Page 1's driver is the plain member.
    return _writers(status)


def _driver_only(status):
    return {"anonymous": LOGIN, "outsider": 404, "observer": 403, "member": status, "lead": 403}


def _lead_only(status):
    return {"anonymous": LOGIN, "outsider": 404, "observer": 403, "member": 403, "lead": status}


def _signed_in(status):
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], status)}


def _row(method, expected, args=("pay", 1), data=None, headers=None, unchanged=False):
    """``unchanged``: the request is answered (200/302) but must not change the database."""
    return {
        "method": method,
        "expected": expected,
        "args": args,
        "data": data or {},
        "headers": headers or {},
        "unchanged": unchanged,
    }


HTMX = {"HTTP_HX_REQUEST": "true"}
LEAD_PK = "<user-pk:lead>"
MEMBER_PK = "<user-pk:member>"

PAGE_ROWS: dict[str, list[dict]] = {
    "proposals:page_list": [
        _row("get", _team_read(), args=("pay",)),
        _row("get", _team_read(), args=("pay",), data={"status": "in_review", "page": "9"}),
    ],
    "proposals:page_create": [
        _row("get", _writers(200), args=("pay",)),
        _row("post", _writers(302), args=("pay",), data={"title": "Cache", "body": "Use it."}),
        # Invalid input is shown again with its message, and saves nothing.
        _row("post", _writers(200), args=("pay",), data={"title": "", "body": "x"}, unchanged=True),
    ],
    "proposals:page_from_proposal": [
        _row("post", _writers(302)),
        _row("get", _signed_in(405)),
    ],
    "proposals:page_detail": [_row("get", _team_read())],
    "proposals:page_edit": [
        _row("get", _driver_or_lead(200)),
        _row(
            "post",
            _driver_or_lead(302),
            data={"title": "Session store", "body": "Redis.", "version": "1", "message": "why"},
        ),
    ],
    "proposals:page_history": [_row("get", _team_read())],
    "proposals:page_compare": [
        _row("get", _team_read(302)),  # no revisions picked: back to the history
        _row("get", _team_read(200), data={"a": "1", "b": "1"}),
    ],
    "proposals:page_request_review": [
        # Only the driver asks; the lead is someone they may ask.
        _row("post", _driver_only(302), data={"reviewers": [LEAD_PK]}),
        _row("post", _driver_only(200), data={"reviewers": [LEAD_PK]}, headers=HTMX),
        # The driver asking themselves under the default policy is refused, in the form.
        _row("post", _driver_only(200), data={"reviewers": [MEMBER_PK]}, unchanged=True),
        _row("get", _signed_in(405)),
    ],
    "proposals:page_review": [
        # Only the senior was asked: every role of the matrix is refused.
        _row(
            "post",
            {**_driver_only(403), "member": 403},
            data={"decision": "approve", "comment": "", "version": "1"},
        ),
        _row("get", _signed_in(405)),
    ],
    # Page 1's policy can still be met (the senior was asked): the lead's approval with a
    # note is refused in the form, and only a lead gets that far.
    "proposals:page_lead_approve": [
        _row(
            "post", _lead_only(200), data={"note": "Reviewed live.", "version": "1"}, unchanged=True
        ),
        _row(
            "post",
            _lead_only(200),
            data={"note": "Reviewed live.", "version": "1"},
            headers=HTMX,
            unchanged=True,
        ),
        _row("get", _signed_in(405)),
    ],
    "proposals:page_status": [
        _row("post", _driver_or_lead(302), data={"status": "obsolete"}),
        # Anything but "obsolete" is refused (redirect with a message) and changes nothing.
        _row("post", _driver_or_lead(302), data={"status": "approved"}, unchanged=True),
        _row("get", _signed_in(405)),
    ],
}


def build_page_world(people):
    """Design page 1 (driver: member; senior asked) and decided proposal 1 in team "pay".

    Reuses a proposal 1 that already exists (another part of the matrix may make one).
    """
    team = people.team
    if not Proposal.objects.filter(team=team, number=1).exists():
        make_decided_proposal(team, people.lead, number=1)
    return make_design_page(team, people.member, reviewers=[people.senior])


def _fill(value, people):
    if isinstance(value, str) and value.startswith("<user-pk:"):
        return getattr(people, value.removeprefix("<user-pk:").removesuffix(">")).pk
    if isinstance(value, list | tuple):
        return type(value)(_fill(item, people) for item in value)
    return value


def resolve(row: dict, people) -> dict:
    """The row with ``<user-pk:ROLE>`` placeholders replaced by real ids."""
    return {
        **row,
        "args": _fill(row["args"], people),
        "data": {key: _fill(value, people) for key, value in row["data"].items()},
    }


def is_refused(row: dict, role: str) -> bool:
    """Whether the row's request must leave the database unchanged for ``role``."""
    expected = row["expected"][role]
    return expected == LOGIN or expected in (403, 404, 405) or row.get("unchanged", False)
