"""Every optional "owner" select says what its empty choice means: "Nobody yet"."""

import re

from django.urls import reverse

from proposals.forms.proposals import ActionItemForm
from tests.factories import save_retro_cadence
from tests.proposals.factories import make_proposal


def _select(page: str, name: str) -> str:
    return re.search(rf'<select[^>]*name="{name}"[^>]*>.*?</select>', page, re.S).group(0)


def test_the_retro_action_owner_select_starts_with_nobody_yet(client_for, people):
    save_retro_cadence(people.team, people.lead)
    retro = people.team.retros.order_by("starts_at").first()
    page = (
        client_for(people.member).get(reverse("practices:retro_board", args=["pay", retro.pk])).text
    )
    owner = _select(page, "owner")
    assert re.search(r'<option value=""[^>]*>Nobody yet</option>', owner)
    assert "---------" not in page


def test_the_proposal_action_owner_select_starts_with_nobody_yet(client_for, people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    url = reverse("proposals:decide", args=["pay", proposal.number])
    page = client_for(people.lead).get(url).text
    owner = _select(page, r"item0-owner")
    assert re.search(r'<option value=""[^>]*>Nobody yet</option>', owner)
    assert "---------" not in page


def test_an_optional_person_field_says_nobody_yet_everywhere(people):
    form = ActionItemForm(team=people.team)
    assert form.fields["owner"].empty_label == "Nobody yet"
    assert "---------" not in str(form)
