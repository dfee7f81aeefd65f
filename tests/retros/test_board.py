import re

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from practices.models import RetroCard, RetroCardGroup, RetroVote
from practices.retros import services

HX = {"HTTP_HX_REQUEST": "true"}


def board_url(retro):
    return reverse("practices:retro_board", args=[retro.team.slug, retro.pk])


def add_url(retro):
    return reverse("practices:retro_card_add", args=[retro.team.slug, retro.pk])


def card_url(name, card):
    return reverse(f"practices:{name}", args=[card.retro.team.slug, card.retro_id, card.pk])


def add_card(retro, user, text="Deploys got faster", column="went_well", anonymous=False):
    card = services.retro_card_add(
        retro=retro, author=user, column=column, text=text, anonymous=anonymous
    )
    card.retro = retro
    return card


def test_member_adds_a_card_in_place_with_htmx(client_for, people, retro):
    client = client_for(people.member)
    response = client.post(add_url(retro), {"column": "to_improve", "text": "Flaky CI"}, **HX)
    assert response.status_code == 200
    card = RetroCard.objects.get()
    assert (card.author, card.column, card.anonymous) == (people.member, "to_improve", False)
    body = response.content.decode()
    assert "Flaky CI" in body
    assert 'id="retro-columns"' in body and 'hx-swap-oob="true"' in body
    # The form comes back empty, still on the column just used.
    assert 'id="card-form"' in body
    assert re.search(r'value="to_improve"[^>]*checked', body)
    assert "Flaky CI</textarea>" not in body


def test_card_is_added_without_javascript_and_the_page_shows_it(client_for, people, retro):
    client = client_for(people.member)
    response = client.post(add_url(retro), {"column": "ideas", "text": "Pair on reviews"})
    assert response.status_code == 302
    assert response["Location"] == board_url(retro)
    page = client.get(board_url(retro))
    assert "Pair on reviews" in page.content.decode()


def test_empty_card_is_refused_next_to_the_field(client_for, people, retro):
    client = client_for(people.member)
    response = client.post(add_url(retro), {"column": "ideas", "text": "  "}, **HX)
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not RetroCard.objects.exists()


def test_anonymous_card_stores_no_author_and_shows_none_even_to_leads(client_for, people, retro):
    client = client_for(people.member)
    client.post(
        add_url(retro), {"column": "to_improve", "text": "Meetings run long", "anonymous": "on"}
    )
    card = RetroCard.objects.get()
    assert card.author_id is None and card.anonymous
    lead_page = client_for(people.lead).get(board_url(retro)).content.decode()
    card_html = lead_page[lead_page.index(f'id="card-{card.pk}"') :][:600]
    assert "Anonymous" in card_html
    assert people.member.email not in card_html
    assert people.member.get_full_name() not in card_html


def test_database_refuses_an_anonymous_card_with_an_author(people, retro):
    with pytest.raises(IntegrityError), transaction.atomic():
        RetroCard.objects.create(
            retro=retro, column="ideas", text="x", anonymous=True, author=people.member
        )


def test_author_deletes_own_anonymous_card_from_the_browser_that_wrote_it(client, people, retro):
    client.force_login(people.member)
    client.post(add_url(retro), {"column": "ideas", "text": "Secret idea", "anonymous": "on"})
    card = RetroCard.objects.get()
    card.retro = retro
    assert client.post(card_url("retro_card_delete", card), **HX).status_code == 200
    assert not RetroCard.objects.exists()


def test_other_member_cannot_delete_an_anonymous_card_even_with_the_authors_cookie(
    client, people, retro
):
    client.force_login(people.member)
    client.post(add_url(retro), {"column": "ideas", "text": "Secret idea", "anonymous": "on"})
    card = RetroCard.objects.get()
    card.retro = retro
    # Same browser, other person: the cookie is signed for the author only.
    client.force_login(people.senior)
    assert client.post(card_url("retro_card_delete", card)).status_code == 403
    assert RetroCard.objects.exists()


def test_member_cannot_delete_someone_elses_card_but_a_lead_can(client_for, people, retro):
    card = add_card(retro, people.senior)
    assert client_for(people.member).post(card_url("retro_card_delete", card)).status_code == 403
    assert client_for(people.lead).post(card_url("retro_card_delete", card)).status_code == 302
    assert not RetroCard.objects.exists()


def test_each_member_has_three_dots_and_a_fourth_is_refused(client_for, people, retro):
    cards = [add_card(retro, people.senior, text=f"card {i}") for i in range(4)]
    client = client_for(people.member)
    for card in cards[:3]:
        assert client.post(card_url("retro_card_vote", card), **HX).status_code == 200
    response = client.post(card_url("retro_card_vote", cards[3]), **HX)
    assert "You have used your 3 dots" in response.content.decode()
    assert RetroVote.objects.filter(voter=people.member).count() == 3
    # Taking a dot back frees it for another card.
    client.post(card_url("retro_card_vote", cards[0]), **HX)
    client.post(card_url("retro_card_vote", cards[3]), **HX)
    assert set(RetroVote.objects.values_list("card_id", flat=True)) == {
        cards[1].pk,
        cards[2].pk,
        cards[3].pk,
    }


def test_database_refuses_a_dot_beyond_the_limit_or_a_dot_used_twice(people, retro):
    card, other = add_card(retro, people.senior), add_card(retro, people.senior, text="b")
    RetroVote.objects.create(retro=retro, card=card, voter=people.member, dot=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        RetroVote.objects.create(retro=retro, card=other, voter=people.member, dot=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        RetroVote.objects.create(retro=retro, card=other, voter=people.member, dot=4)


def test_cards_are_grouped_and_an_emptied_group_goes_away(client_for, people, retro):
    first, second = add_card(retro, people.member), add_card(retro, people.senior, text="CI")
    client = client_for(people.member)
    client.post(card_url("retro_card_group", first), {"new_title": "Speed"}, **HX)
    group = RetroCardGroup.objects.get()
    response = client.post(card_url("retro_card_group", second), {"group": group.pk}, **HX)
    assert "Speed" in response.content.decode()
    assert set(group.cards.all()) == {first, second}
    client.post(card_url("retro_card_group", first), {"group": ""}, **HX)
    client.post(card_url("retro_card_group", second), {"group": ""}, **HX)
    assert not RetroCardGroup.objects.exists()


def test_a_card_cannot_join_a_group_of_another_column(people, retro):
    idea = add_card(retro, people.member, column="ideas")
    group = RetroCardGroup.objects.create(retro=retro, column="went_well", title="Wins")
    with pytest.raises(services.ValidationError):
        services.retro_card_group(card=idea, group=group)


def test_polling_answers_204_until_the_board_changes(client_for, people, retro):
    client = client_for(people.lead)
    url = reverse("practices:retro_board_updates", args=[retro.team.slug, retro.pk])
    retro.refresh_from_db()
    assert client.get(url, {"v": retro.board_version}, **HX).status_code == 204
    add_card(retro, people.member, text="Release went smoothly")
    response = client.get(url, {"v": retro.board_version}, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Release went smoothly" in body
    retro.refresh_from_db()
    assert f"v={retro.board_version}" in body


def test_a_board_update_does_not_look_up_who_can_own_an_action(client_for, people, retro):
    """The action form's owner list is read only where the form is shown."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(people.lead)
    url = reverse("practices:retro_board_updates", args=[retro.team.slug, retro.pk])
    retro.refresh_from_db()
    version = retro.board_version
    add_card(retro, people.member, text="Release went smoothly")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"v": version}, **HX).status_code == 200
    owner_lookups = [q for q in queries if '"practices_membership"."role" IN' in q["sql"]]
    assert owner_lookups == []
    page = client.get(board_url(retro)).content.decode()
    assert people.member.get_full_name() in page.split('name="owner"', 1)[1].split("</select>")[0]


def test_board_takes_no_cards_after_the_retro_is_over(client_for, people, retro, clock):
    clock.move_to(retro.board_closes_at)
    client = client_for(people.member)
    response = client.post(add_url(retro), {"column": "ideas", "text": "Too late"}, **HX)
    assert "board is closed" in response.content.decode()
    assert not RetroCard.objects.exists()


def test_observer_reads_the_board_but_cannot_add_to_it(client_for, people, retro):
    add_card(retro, people.member, text="Visible to observers")
    client = client_for(people.observer)
    page = client.get(board_url(retro)).content.decode()
    assert "Visible to observers" in page
    assert 'id="card-form"' not in page
    assert client.post(add_url(retro), {"column": "ideas", "text": "x"}).status_code == 403
    assert RetroCard.objects.count() == 1


def test_outsider_gets_404_for_the_board(client_for, people, retro):
    assert client_for(people.outsider).get(board_url(retro)).status_code == 404


def test_board_page_query_count_does_not_grow_with_cards_and_votes(
    client_for, people, retro, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(people.member)
    add_card(retro, people.senior)
    with CaptureQueriesContext(connection) as few:
        client.get(board_url(retro))
    for i in range(12):
        card = add_card(retro, people.senior, text=f"card {i}", anonymous=i % 2 == 0)
        if i < 3:
            services.retro_card_vote_toggle(card=card, voter=people.member)
        services.retro_card_vote_toggle(card=card, voter=people.senior) if i < 3 else None
    services.retro_card_group(card=card, new_title="Group")
    with CaptureQueriesContext(connection) as many:
        response = client.get(board_url(retro))
    assert response.status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize("name", ["retro_card_add", "retro_action_add"])
def test_writes_refuse_get_with_405(client_for, people, retro, name):
    url = reverse(f"practices:{name}", args=[retro.team.slug, retro.pk])
    assert client_for(people.member).get(url).status_code == 405


def test_an_author_is_not_offered_delete_once_the_board_has_closed(
    client_for, people, retro, clock
):
    add_card(retro, people.member, text="Mine")
    assert "Delete card" in client_for(people.member).get(board_url(retro)).text
    clock.move_to(retro.board_closes_at)
    assert "Delete card" not in client_for(people.member).get(board_url(retro)).text
    # A lead still tidies a closed board, as the service allows.
    assert "Delete card" in client_for(people.lead).get(board_url(retro)).text


def test_the_boards_two_forms_have_their_own_ids_and_labels(client_for, people, retro):
    page = client_for(people.member).get(board_url(retro)).text
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    card_box = re.search(r'<textarea[^>]*name="text"[^>]*>', page).group(0)
    action_box = re.search(r'<input[^>]*name="text"[^>]*>', page).group(0)
    card_id = re.search(r'id="([^"]+)"', card_box).group(1)
    action_id = re.search(r'id="([^"]+)"', action_box).group(1)
    # The "Action" label focuses the action's box, the "Card" label the card's.
    assert re.search(rf'<label[^>]*for="{action_id}"[^>]*>\s*Action', page)
    assert re.search(rf'<label[^>]*for="{card_id}"[^>]*>\s*Card', page)


def test_the_forms_keep_their_own_ids_after_an_htmx_post(client_for, people, retro):
    client = client_for(people.member)
    response = client.post(add_url(retro), {"column": "ideas", "text": ""}, **HX)
    assert 'id="card-text"' in response.text and 'id="id_text"' not in response.text
