from datetime import UTC, datetime

import pytest

from practices.jira.tickets import MalformedTicket, ticket_from_json

BASE = "https://acme.atlassian.net"


def issue(**fields):
    raw = {
        "id": "10042",
        "key": "PAY-42",
        "self": f"{BASE}/rest/api/3/issue/10042",
        "fields": {
            "summary": "Refunds double-count fees",
            "issuetype": {"id": "10004", "name": "Bug", "subtask": False},
            "status": {
                "id": "10001",
                "name": "In Review",
                "statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"},
            },
            "priority": {"id": "2", "name": "High"},
            "assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Mo Khan"},
            "reporter": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Jane Doe"},
            "labels": ["billing", "backend"],
            "components": [{"id": "10000", "name": "Billing"}],
            "created": "2025-01-10T09:15:02.123+0100",
            "updated": "2025-01-11T10:00:00.000+0100",
            "resolutiondate": None,
            "statuscategorychangedate": "2025-01-10T11:00:00.000+0100",
        },
    }
    raw["fields"].update(fields)
    return raw


def test_a_cloud_ticket_reads_into_every_stored_value():
    ticket = ticket_from_json(issue(), base_url=BASE)
    assert ticket.jira_id == 10042
    assert ticket.key == "PAY-42"
    assert ticket.issue_type == "Bug"
    assert (ticket.status, ticket.status_category) == ("In Review", "indeterminate")
    assert ticket.priority == "High"
    assert (ticket.assignee_account_id, ticket.assignee_name) == (
        "5b10ac8d82e05b22cc7d4ef5",
        "Mo Khan",
    )
    assert ticket.labels == " billing backend "
    assert ticket.components == ["Billing"]
    assert ticket.created == datetime(2025, 1, 10, 8, 15, 2, 123000, tzinfo=UTC)
    assert ticket.updated == datetime(2025, 1, 11, 9, 0, tzinfo=UTC)
    assert ticket.resolved is None
    assert ticket.url == f"{BASE}/browse/PAY-42"


def test_a_data_center_user_has_a_key_instead_of_an_account_id():
    raw = issue(assignee={"key": "JIRAUSER10001", "name": "mkhan", "displayName": "Mo Khan"})
    assert ticket_from_json(raw, base_url=BASE).assignee_account_id == "JIRAUSER10001"


def test_hidden_or_empty_optional_fields_are_fine():
    raw = issue(assignee=None, priority=None, labels=[], components=[])
    del raw["fields"]["statuscategorychangedate"]
    ticket = ticket_from_json(raw, base_url=BASE)
    assert (ticket.assignee_name, ticket.priority, ticket.labels) == ("", "", "")
    assert ticket.status_category_changed is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda raw: raw.update(fields="oops"), "fields is not an object"),
        (lambda raw: raw["fields"].pop("status"), "status is missing"),
        (lambda raw: raw["fields"].update(updated="yesterday"), "Invalid isoformat"),
        (lambda raw: raw["fields"].update(updated="2025-01-11T10:00:00"), "no time zone"),
        (lambda raw: raw["fields"].update(labels="billing"), "labels is not a list"),
        (lambda raw: raw["fields"].update(summary=None), "summary is not text"),
        (lambda raw: raw.update(id="ten"), "invalid literal"),
        (lambda raw: raw.update(key="<script>"), "unexpected key"),
        (lambda raw: raw["fields"].update(status={"statusCategory": "x"}), "object has no"),
    ],
)
def test_an_unexpected_shape_raises_malformed_ticket(change, problem):
    raw = issue()
    change(raw)
    with pytest.raises(MalformedTicket) as caught:
        ticket_from_json(raw, base_url=BASE)
    assert problem in caught.value.problem


def test_an_unknown_status_category_is_kept_as_undefined():
    raw = issue(status={"name": "Odd", "statusCategory": {"key": "weird"}})
    assert ticket_from_json(raw, base_url=BASE).status_category == "undefined"


def test_a_list_instead_of_a_ticket_is_malformed():
    with pytest.raises(MalformedTicket):
        ticket_from_json(["not", "a", "ticket"], base_url=BASE)
