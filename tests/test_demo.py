import pytest
from django.core.management import call_command

from practices.charter.sections import section_spec
from practices.models import CharterRevision, Membership, Team


@pytest.mark.django_db
def test_demo_data_loads_once_however_often_it_runs():
    call_command("load_demo")
    call_command("load_demo")
    team = Team.objects.get(slug="pay")
    assert Team.objects.count() == 1
    assert Membership.objects.filter(team=team).count() == 5
    assert CharterRevision.objects.filter(team=team).count() == 15


@pytest.mark.django_db
def test_demo_charter_is_valid_under_its_own_forms():
    call_command("load_demo")
    for section in Team.objects.get(slug="pay").charter_sections.all():
        spec = section_spec(section.key)
        if spec.row_form_class is not None:
            for row in section.data["rows"]:
                form = spec.row_form_class(data=row)
                assert form.is_valid(), (section.key, form.errors)
            continue
        data = {
            key: ", ".join(value) if isinstance(value, list) else value
            for key, value in section.data.items()
        }
        form = spec.form_class(data={**data, "version": section.version})
        assert form.is_valid(), (section.key, form.errors)


@pytest.mark.django_db
def test_demo_team_has_retros_booked_from_its_saved_cadence():
    call_command("load_demo")
    team = Team.objects.get(slug="pay")
    assert team.charter_sections.get(key="retros").version > 0
    assert team.retros.filter(cards__isnull=False).exists()
    assert team.retros.count() >= 1 + 4  # the one held and the horizon ahead
