from datetime import UTC, datetime

import pytest

from practices.jira.jql import jql_build, jql_date_literal, jql_split_order_by, jql_unbalanced


@pytest.mark.parametrize(
    ("jql", "where", "order"),
    [
        ("project = PAY", "project = PAY", ""),
        ("project = PAY ORDER BY created DESC", "project = PAY", "ORDER BY created DESC"),
        ("project = PAY order  by key", "project = PAY", "order  by key"),
        ('summary ~ "order by" AND project = PAY', 'summary ~ "order by" AND project = PAY', ""),
        ("labels = reorder by_x", "labels = reorder by_x", ""),
        ("ORDER BY key", "", "ORDER BY key"),
    ],
)
def test_order_by_is_found_only_outside_quotes(jql, where, order):
    assert jql_split_order_by(jql) == (where, order)


@pytest.mark.parametrize(
    ("jql", "problem"),
    [
        ('summary ~ "open', 'a " quote is not closed'),
        ("(project = PAY", "a parenthesis is not closed"),
        ("project = PAY)", "a closing parenthesis has no opening one"),
        ('summary ~ "(" and project = PAY', ""),
    ],
)
def test_unbalanced_quotes_and_parentheses_are_named(jql, problem):
    assert jql_unbalanced(jql) == problem


def test_the_literal_is_in_the_accounts_time_zone_to_the_minute():
    moment = datetime(2025, 1, 15, 12, 7, 59, tzinfo=UTC)
    assert jql_date_literal(moment=moment, zone_name="America/Los_Angeles") == "2025-01-15 04:07"
    assert jql_date_literal(moment=moment, zone_name="Asia/Kolkata") == "2025-01-15 17:37"
    assert jql_date_literal(moment=moment, zone_name="UTC") == "2025-01-15 12:07"


def test_a_wall_time_that_happens_twice_steps_back_an_hour():
    # 01:30 happened twice in London on 27 October 2024; Jira may read it as the later.
    first = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert jql_date_literal(moment=first, zone_name="Europe/London") == "2024-10-27 00:30"


def test_an_unknown_zone_steps_back_far_enough_for_any_zone():
    moment = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    assert jql_date_literal(moment=moment, zone_name="Mars/Olympus") == "2025-01-14 22:00"
    assert jql_date_literal(moment=moment, zone_name="") == "2025-01-14 22:00"


def test_the_filter_is_wrapped_so_an_or_cannot_escape_the_window():
    since = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    jql = jql_build(
        where="project = A OR project = B", field="updated", since=since, zone_name="UTC"
    )
    assert jql == (
        '(project = A OR project = B) AND updated >= "2025-01-15 12:00" '
        "ORDER BY updated ASC, key ASC"
    )
