"""A design page's views make as many queries for a long history as for a short one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from proposals.models import DesignPage, DesignPageRevision
from proposals.services import pages as services
from tests.factories import UserFactory, add_member
from tests.proposals.test_pages_support import answer, edit, make_design_page


def grow_history(page, author, total):
    """Brings ``page`` to ``total`` revisions: a few through the service, the rest in bulk."""
    page.refresh_from_db()
    while page.version < min(total, 3):
        edit(page, author, f"Revision {page.version + 1}\n")
        page.refresh_from_db()
    model = page.revisions.order_by("-number").first()
    DesignPageRevision.objects.bulk_create(
        DesignPageRevision(
            page=page,
            number=number,
            title=page.title,
            text=model.text,
            diff=model.diff,
            message=f"bulk {number}",
            author=author,
            created_at=model.created_at,
        )
        for number in range(page.version + 1, total + 1)
    )
    DesignPage.objects.filter(pk=page.pk).update(version=max(total, page.version))


def add_reviewers(page, driver, count):
    people = [add_member(page.team, UserFactory(), is_senior=i % 2 == 0) for i in range(count)]
    services.design_page_request_review(
        page=page, actor=driver, reviewer_ids=[user.pk for user in people]
    )
    return people


def count_queries(client, url) -> int:
    client.get(url)  # warm any per-process caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("viewer", ["driver", "reviewer", "observer"])
def test_detail_queries_do_not_grow_with_revisions_or_reviewers(people, client_for, viewer):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    user = {"driver": people.member, "reviewer": people.senior, "observer": people.observer}
    client = client_for(user[viewer])
    url = reverse("proposals:page_detail", args=["pay", page.number])
    grow_history(page, people.member, 3)
    reviewers = add_reviewers(page, people.member, 1)  # 2 reviewers
    answer(page, reviewers[0], approve=False, comment="One question.")
    few = count_queries(client, url)

    grow_history(page, people.member, 200)
    more = add_reviewers(page, people.member, 8)  # 10 reviewers
    for reviewer in more[:4]:
        answer(page, reviewer)
    many = count_queries(client, url)
    assert few == many
    assert many <= 10


def test_history_queries_do_not_grow_with_revisions(people, client_for):
    page = make_design_page(people.team, people.member)
    client = client_for(people.observer)
    url = reverse("proposals:page_history", args=["pay", page.number])
    grow_history(page, people.member, 3)
    few = count_queries(client, url)
    grow_history(page, people.member, 200)
    many = count_queries(client, url)
    assert few == many
    assert many <= 8


def test_list_queries_do_not_grow_with_pages(people, client_for):
    client = client_for(people.member)
    url = reverse("proposals:page_list", args=["pay"])
    for _ in range(3):
        make_design_page(people.team, people.member, reviewers=[people.senior])
    few = count_queries(client, url)
    for _ in range(57):
        make_design_page(people.team, people.lead, reviewers=[people.senior, people.member])
    many = count_queries(client, url)
    assert few == many
    assert many <= 8
    assert count_queries(client, url + "?view=needs-my-review") <= 8
