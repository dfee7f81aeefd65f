"""Two leads save the same section at the same instant: exactly one wins."""

import threading

import pytest
from django.db import connection

from practices.charter import services
from practices.models import CharterRevision, CharterSection


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_saves_against_one_version_exactly_one_wins(people):
    section = CharterSection.objects.get(team=people.team, key="retros")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(name, author, weeks):
        try:
            mine = CharterSection.objects.get(pk=section.pk)
            barrier.wait(timeout=10)
            services.charter_section_update(
                section=mine,
                data={**mine.data, "every_weeks": weeks},
                expected_version=0,
                author=author,
                message=name,
            )
            outcomes[name] = "saved"
        except services.CharterConflict:
            outcomes[name] = "conflict"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=("first", people.lead, 3)),
        threading.Thread(target=save, args=("second", people.senior, 5)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    stored = CharterSection.objects.get(pk=section.pk)
    assert stored.version == 1
    assert stored.data["every_weeks"] == (3 if winner == "first" else 5)
    revision = CharterRevision.objects.get(section=stored)
    assert revision.message == winner and revision.data == stored.data


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_saves_leave_a_gapless_history(people):
    """Ten editors race five rounds: revisions stay numbered 1..N with no lost update."""
    section = CharterSection.objects.get(team=people.team, key="methodology")
    wins = []
    lock = threading.Lock()

    def editor(i):
        try:
            for round_ in range(5):
                mine = CharterSection.objects.get(pk=section.pk)
                try:
                    services.charter_section_update(
                        section=mine,
                        # New text every round: saving what is already there is refused.
                        data={**mine.data, "planning": f"editor {i}, round {round_}"},
                        expected_version=mine.version,
                        author=people.lead,
                    )
                except services.CharterConflict:
                    continue
                with lock:
                    wins.append(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=editor, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stored = CharterSection.objects.get(pk=section.pk)
    numbers = list(
        CharterRevision.objects.filter(section=stored)
        .order_by("number")
        .values_list("number", flat=True)
    )
    assert numbers == list(range(1, len(wins) + 1))
    assert stored.version == len(wins)
