"""The authorization matrix: every URL of the project, for every kind of visitor.

A new URL pattern without a row here fails ``test_every_url_pattern_has_a_row``.
Refused writes must leave the database exactly as it was.
"""

from dataclasses import dataclass, field

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from practices.models import (
    CharterRevision,
    CharterSection,
    JiraConnection,
    JiraTicket,
    Membership,
    Team,
)
from proposals.models import (
    ActionItem,
    Comment,
    DesignPage,
    DesignPageRevision,
    Objection,
    OutcomeOptOut,
    PageEvent,
    Proposal,
    Review,
    Vote,
)
from tests.charter_posts import retros_post
from tests.factories import make_jira_connection
from tests.proposals.factories import decide, make_proposal
from tests.proposals.matrix_pages import PAGE_ROWS, build_page_world
from tests.proposals.matrix_pages import resolve as resolve_page_row
from tests.retros import matrix as retro_matrix

ROLES = ("anonymous", "outsider", "observer", "member", "lead")
LOGIN = "login"  # expected status meaning: redirected to the sign-in page


@dataclass
class Row:
    method: str
    expected: dict[str, int | str]  # role -> status, or LOGIN
    args: tuple = ()
    data: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    # Answered (200/302) but must not change the database, like a refusal.
    unchanged: bool = False


def everyone(status):
    return dict.fromkeys(ROLES, status)


def team_read(status_for_members=200):
    return {
        "anonymous": LOGIN,
        "outsider": 404,
        "observer": status_for_members,
        "member": status_for_members,
        "lead": status_for_members,
    }


def lead_only(lead_status):
    return {
        "anonymous": LOGIN,
        "outsider": 404,
        "observer": 403,
        "member": 403,
        "lead": lead_status,
    }


def signed_in(status):
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], status)}


MEMBER_PK = "<member-pk>"  # filled in with the plain member's membership id

MATRIX: dict[str, list[Row]] = {
    "home": [Row("get", signed_in(200))],
    "team_menu": [
        Row("get", signed_in(302)),
        Row("get", signed_in(200), headers={"HTTP_HX_REQUEST": "true"}),
    ],
    "healthz": [Row("get", everyone(200))],
    "login": [Row("get", {"anonymous": 200, **dict.fromkeys(ROLES[1:], 302)})],
    "logout": [
        Row("post", {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], 302)}),
        Row("get", {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], 405)}),
    ],
    "password_reset": [Row("get", everyone(200))],
    "password_reset_done": [Row("get", everyone(200))],
    "password_reset_confirm": [Row("get", everyone(200), args=("MQ", "bad-token"))],
    "invitation_accept": [Row("get", everyone(200), args=("MQ", "bad-token"))],
    "password_reset_complete": [Row("get", everyone(200))],
    "practices:team_create": [
        Row("get", signed_in(200)),
        Row("post", signed_in(200), data={"name": "", "slug": "", "time_zone": ""}),
    ],
    "practices:charter": [Row("get", team_read(), args=("pay",))],
    "practices:team_settings": [
        Row("get", lead_only(200), args=("pay",)),
        Row("post", lead_only(302), args=("pay",), data={"name": "Renamed", "time_zone": "UTC"}),
    ],
    "practices:charter_history": [Row("get", team_read(), args=("pay",))],
    "practices:charter_compare": [Row("get", team_read(302), args=("pay",))],
    "practices:charter_section": [
        Row("get", team_read(302), args=("pay", "retros")),
        Row("get", team_read(200), args=("pay", "retros"), headers={"HTTP_HX_REQUEST": "true"}),
    ],
    "practices:charter_section_edit": [
        Row("get", lead_only(200), args=("pay", "retros")),
        # Version 1: the retro world (``tests/retros/matrix.py``) agreed the cadence once.
        Row("post", lead_only(302), args=("pay", "retros"), data=retros_post(version=1)),
    ],
    "practices:members": [
        Row("get", team_read(), args=("pay",)),
        Row(
            "post", lead_only(302), args=("pay",), data={"email": "x@example.com", "role": "member"}
        ),
    ],
    "practices:member_update": [
        Row("post", lead_only(302), args=("pay", MEMBER_PK), data={"role": "observer"}),
        Row("get", {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], 405)}, args=("pay", MEMBER_PK)),
    ],
    "practices:member_remove": [
        Row("post", lead_only(302), args=("pay", MEMBER_PK)),
        Row("get", {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], 405)}, args=("pay", MEMBER_PK)),
    ],
    # The plain member drives design page 1: a lead hands it to the senior. Handing it
    # to an observer is refused with a message and moves nothing.
    "practices:member_hand_over": [
        Row(
            "post",
            lead_only(302),
            args=("pay", "<user-pk:member>"),
            data={"to": "<user-pk:senior>"},
        ),
        Row(
            "post",
            lead_only(302),
            args=("pay", "<user-pk:member>"),
            data={"to": "<user-pk:observer>"},
            unchanged=True,
        ),
        Row("get", {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], 405)}, args=("pay", "1")),
    ],
}

# Proposal DACI-1 of "pay": driven by the plain member, approved by the lead, decided.
PROPOSAL = ("pay", 1)


def part_only(status):
    """Members and leads take part; observers read only."""
    return {"anonymous": LOGIN, "outsider": 404, "observer": 403, "member": status, "lead": status}


MATRIX.update(
    {
        "proposals:list": [Row("get", team_read(), args=("pay",))],
        "proposals:decision_log": [Row("get", team_read(), args=("pay",))],
        "proposals:create": [
            Row("get", part_only(200), args=("pay",)),
            Row("post", part_only(200), args=("pay",), data={"title": ""}),
        ],
        "proposals:detail": [Row("get", team_read(), args=PROPOSAL)],
        "proposals:edit": [
            Row("get", {**part_only(403), "member": 200}, args=PROPOSAL),
            Row("post", {**part_only(403), "member": 200}, args=PROPOSAL, data={"title": ""}),
        ],
        "proposals:status": [
            Row("post", {**part_only(403), "member": 302}, args=PROPOSAL, data={"action": "open"}),
        ],
        # Voting and discussion on a decided proposal: refused with a message, nothing saved.
        "proposals:vote": [
            Row("post", part_only(200), args=PROPOSAL, data={"option": "1"}),
        ],
        "proposals:comment": [Row("post", part_only(200), args=PROPOSAL, data={"body": "late"})],
        "proposals:votes": [
            Row("get", team_read(), args=PROPOSAL),
            Row("get", team_read(), args=PROPOSAL, headers={"HTTP_HX_REQUEST": "true"}),
        ],
        "proposals:decide": [
            Row("get", {**part_only(403), "lead": 302}, args=PROPOSAL),
            Row("post", {**part_only(403), "lead": 302}, args=PROPOSAL, data={"rationale": "x"}),
        ],
        # The signed token is the authority (an outside address has no account): a forged
        # one is refused to everyone, and nothing is recorded.
        "proposals:outcome_unsubscribe": [
            Row("get", everyone(400), args=("pay", "forged-token")),
            Row("post", everyone(400), args=("pay", "forged-token"), unchanged=True),
        ],
        "proposals:supersede": [
            Row("post", {**part_only(403), "lead": 302}, args=PROPOSAL, data={"new": "DACI-1"}),
        ],
        "proposals:charter_propose": [
            Row("post", lead_only(302), args=("pay", "retros"), data=retros_post()),
        ],
    }
)

# The action item of DACI-1 (the world's only one): its row, and "Create in Jira", which
# only queues a task: no request contacts Jira.
ITEM_PK = "<action-item-pk>"
ITEM = (*PROPOSAL, ITEM_PK)
MATRIX.update(
    {
        "proposals:action_item": [
            Row("get", team_read(302), args=ITEM),
            Row("get", team_read(200), args=ITEM, headers={"HTTP_HX_REQUEST": "true"}),
        ],
        # Leads and the decision's driver or approver (the member drives DACI-1).
        "proposals:action_item_jira": [
            Row("post", part_only(302), args=ITEM),
            Row("post", part_only(200), args=ITEM, headers={"HTTP_HX_REQUEST": "true"}),
            Row("get", {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], 405)}, args=ITEM),
        ],
    }
)

# Jira: "pay" is connected to a Data Center site (see ``world``) that no test contacts.
JIRA_POST = {
    "base_url": "https://jira.example.com",
    "deployment": "dc",
    "token": "",
    "jql": "project = OPS",
    "sync_interval_minutes": "10",
}
POST_ONLY = {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], 405)}

MATRIX.update(
    {
        "practices:tickets": [
            Row("get", team_read(), args=("pay",)),
            Row(
                "get",
                team_read(),
                args=("pay",),
                data={"view": "board", "q": "refund"},
                headers={"HTTP_HX_REQUEST": "true"},
            ),
        ],
        "practices:jira_connection": [
            Row("get", lead_only(200), args=("pay",)),
            Row("post", lead_only(302), args=("pay",), data=JIRA_POST),
        ],
        # An address that fails validation: the lead gets the form back, Jira is not asked.
        "practices:jira_connection_test": [
            Row("post", lead_only(200), args=("pay",), data={**JIRA_POST, "base_url": "nope"}),
            Row("get", POST_ONLY, args=("pay",)),
        ],
        "practices:jira_review_statuses": [
            Row("post", lead_only(302), args=("pay",), data={"statuses": []}),
            Row("get", POST_ONLY, args=("pay",)),
        ],
        "practices:jira_sync_now": [
            Row("post", lead_only(302), args=("pay",)),
            Row("get", POST_ONLY, args=("pay",)),
        ],
        "practices:jira_disconnect": [
            Row("post", lead_only(302), args=("pay",)),
            Row("get", POST_ONLY, args=("pay",)),
        ],
    }
)


# Design pages: page 1 of "pay" is driven by the plain member, with the senior asked to
# review it (see ``build_page_world``). Its rows carry "<user-pk:ROLE>" placeholders.
MATRIX.update(
    {
        name: [
            Row(
                row["method"],
                row["expected"],
                args=tuple(row["args"]),
                data=row["data"],
                headers=row["headers"],
                unchanged=row["unchanged"],
            )
            for row in rows
        ]
        for name, rows in PAGE_ROWS.items()
    }
)


# Reminders: each person's notifications page, the team's reminders (leads), and the
# unsubscribe link, which needs no sign-in and refuses a forged token with 400.
MATRIX.update(
    {
        "profile": [
            Row("get", signed_in(200)),
            # Invalid (no name): the page again, nothing saved.
            Row("post", signed_in(200), data={"action": "profile", "name": "", "email": ""}),
        ],
        # A forged link: back to the profile, nothing changed.
        "email_change_confirm": [Row("get", signed_in(302), args=("forged-token",))],
        "notifications": [
            Row("get", signed_in(200)),
            Row(
                "post",
                signed_in(302),
                data={
                    "time_zone": "Europe/Berlin",
                    "digest_hour": "8",
                    "kind_retro": "now",
                    "kind_stuck_review": "digest",
                    "kind_votes_due": "off",
                    "kind_reviews_waiting": "now",
                },
            ),
        ],
        "practices:team_reminders": [
            Row("get", lead_only(200), args=("pay",)),
            Row("post", lead_only(302), args=("pay",), data={"retro_days_before": "2"}),
        ],
        "reminder_unsubscribe": [
            Row("get", everyone(400), args=("forged-token",)),
            Row("post", everyone(400), args=("forged-token",), unchanged=True),
        ],
    }
)

# Retros: the next retro of "pay" with the plain member's card, an open action item of
# the retro held before it, and the team's calendar (see ``tests/retros/matrix.py``).
_RETRO = ("pay", retro_matrix.RETRO)
_CARD = ("pay", retro_matrix.RETRO, retro_matrix.CARD)
_ITEM = ("pay", retro_matrix.RETRO, retro_matrix.HELD_ITEM)
MATRIX.update(
    {
        "practices:retro_board": [Row("get", team_read(), args=_RETRO)],
        "team_calendar_feed": [Row("get", everyone(200), args=(retro_matrix.CALENDAR,))],
        "practices:retros": [Row("get", team_read(), args=("pay",))],
        "practices:retro_board_updates": [
            Row("get", team_read(), args=_RETRO, headers={"HTTP_HX_REQUEST": "true"}),
        ],
        "practices:retro_card_add": [
            Row("post", part_only(302), args=_RETRO, data={"column": "ideas", "text": "More"}),
            Row("get", POST_ONLY, args=_RETRO),
        ],
        "practices:retro_card_delete": [
            Row("post", part_only(302), args=_CARD),
            Row("get", POST_ONLY, args=_CARD),
        ],
        "practices:retro_card_vote": [Row("post", part_only(302), args=_CARD)],
        "practices:retro_card_group": [
            Row("post", part_only(302), args=_CARD, data={"new_title": "Pairing"}),
        ],
        "practices:retro_action_add": [
            Row("post", part_only(302), args=_RETRO, data={"text": "Automate it"}),
        ],
        "practices:retro_action_review": [
            Row("post", part_only(302), args=_ITEM, data={"outcome": "carry"}),
        ],
        "practices:retro_move": [
            Row("get", lead_only(200), args=_RETRO),
            Row("post", lead_only(302), args=_RETRO, data={"starts_at": retro_matrix.MOVE_TO}),
        ],
        "practices:retro_skip": [
            Row("post", lead_only(302), args=_RETRO, data={"skipped": "on"}),
            Row("get", POST_ONLY, args=_RETRO),
        ],
        "practices:team_calendar_rotate": [
            Row("post", lead_only(302), args=("pay",)),
            Row("get", POST_ONLY, args=("pay",)),
        ],
    }
)


def url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}"


def test_every_url_pattern_has_a_row():
    names = {name for name in url_names() if not name.startswith("admin:")}
    assert names - MATRIX.keys() == set(), "add a row to MATRIX for each new URL"
    assert MATRIX.keys() - names == set()


def snapshot() -> dict[str, list]:
    def rows(model: type[Model], *fields):
        return list(model.objects.order_by("pk").values_list("pk", *fields))

    return {
        "teams": rows(Team, "name", "slug", "time_zone"),
        "memberships": rows(Membership, "team_id", "user_id", "role", "is_senior"),
        "sections": rows(CharterSection, "data", "version"),
        "revisions": rows(CharterRevision, "data"),
        "proposals": rows(
            Proposal, "status", "title", "driver_id", "approver_id", "superseded_by_id"
        ),
        "votes": rows(Vote, "option_id", "reason"),
        "objections": rows(Objection, "option_id", "kind", "reason"),
        "outcome_opt_outs": rows(OutcomeOptOut, "team_id", "email"),
        "comments": rows(Comment, "body"),
        "pages": rows(
            DesignPage, "status", "body", "version", "driver_id", "lead_approved_version"
        ),
        "page_events": rows(PageEvent, "kind", "detail"),
        "reviews": rows(Review, "reviewer_id", "state", "version", "comment"),
        "page_revisions": rows(DesignPageRevision, "number", "text"),
        "action_items": rows(ActionItem, "jira_state", "jira_key", "jira_marker"),
        "jira": rows(
            JiraConnection,
            "base_url",
            "deployment",
            "jql",
            "token_encrypted",
            "review_statuses",
            "needs_attention",
            "next_sync_at",
        ),
        "tickets": rows(JiraTicket, "gone"),
        **retro_matrix.snapshot(rows),
    }


@pytest.fixture
def world(people):
    """The team of ``people`` with a decided proposal DACI-1 (driver: member, approver: lead),
    design page 1 (driver: member, senior asked to review) and a Jira connection."""
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    decide(proposal, action_items=["Write the runbook"])
    build_page_world(people)
    make_jira_connection(people.team)
    retro_matrix.build_retro_world(people)
    return people


def resolved(row: Row, people) -> tuple[list, dict]:
    """The row's URL arguments and form data with the placeholders filled in."""
    member_pk = Membership.objects.get(team=people.team, user=people.member).pk
    filled = resolve_page_row({"args": row.args, "data": row.data}, people)
    fills = {MEMBER_PK: member_pk, ITEM_PK: ActionItem.objects.get().pk}
    args = retro_matrix.resolve([fills.get(arg, arg) for arg in filled["args"]], people)
    return args, filled["data"]


CASES = [
    (name, i, role) for name, rows in MATRIX.items() for i in range(len(rows)) for role in ROLES
]


@pytest.mark.parametrize(("name", "index", "role"), CASES)
def test_authorization_matrix(world, name, index, role):
    people = world
    row = MATRIX[name][index]
    client = Client()
    if role != "anonymous":
        client.force_login(getattr(people, role))
    args, data = resolved(row, people)
    url = reverse(name, args=args)
    before = snapshot()
    response = getattr(client, row.method)(url, data, **row.headers)
    expected = row.expected[role]
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected, f"{role} {row.method} {url}"
    refused = expected == LOGIN or expected in (403, 404, 405) or row.unchanged
    if row.method == "post" and refused:
        assert snapshot() == before, "a refused write changed the database"


@pytest.mark.django_db
def test_admin_is_for_staff_only(client, people):
    client.force_login(people.lead)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_every_url_refuses_methods_it_does_not_serve(world, name):
    people = world
    client = Client()
    client.force_login(people.lead)
    args, _ = resolved(MATRIX[name][0], people)
    before = snapshot()
    for method in ("put", "delete", "patch"):
        assert getattr(client, method)(reverse(name, args=args)).status_code == 405, method
    assert snapshot() == before
