"""Two clicks race for a member's last dot: the database keeps the limit."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from practices.models import RetroCard, RetroVote
from practices.retros import services
from tests.factories import save_retro_cadence
from tests.retros.conftest import MONDAY


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_votes_racing_for_the_last_dot_leave_exactly_three(people, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    save_retro_cadence(people.team, people.lead)
    retro = services.retro_schedule(team=people.team)[0]
    cards = [
        services.retro_card_add(
            retro=retro, author=people.senior, column="ideas", text=f"card {i}", anonymous=False
        )
        for i in range(4)
    ]
    for card in cards[:2]:
        services.retro_card_vote_toggle(card=card, voter=people.member)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def vote(card_id: int) -> None:
        try:
            card = RetroCard.objects.select_related("retro").get(pk=card_id)
            barrier.wait(timeout=10)
            services.retro_card_vote_toggle(card=card, voter=people.member)
            outcomes.append("voted")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(card.pk,)) for card in cards[2:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "voted"]
    assert RetroVote.objects.filter(voter=people.member).count() == 3
