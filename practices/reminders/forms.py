from django import forms

from practices.models import (
    RETRO_REMINDER_MAX_DAYS_BEFORE,
    ReminderDelivery,
    ReminderTeamSettings,
)
from practices.reminders.kinds import kind_list
from practices.teams.forms import PersonalTimeZoneField


class PreferencesForm(forms.Form):
    """One choice per kind of reminder, plus the person's time zone and digest hour."""

    time_zone = PersonalTimeZoneField()
    digest_hour = forms.TypedChoiceField(
        label="Daily digest at",
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
    )

    def __init__(self, *args, deliveries: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind in kind_list():
            self.fields[f"kind_{kind.key}"] = forms.ChoiceField(
                label=kind.label,
                help_text=kind.description,
                choices=ReminderDelivery.choices,
                initial=deliveries.get(kind.key, kind.default_delivery),
                widget=forms.RadioSelect,
            )

    def kind_fields(self):
        return [self[name] for name in self.fields if name.startswith("kind_")]

    def deliveries(self) -> dict[str, str]:
        return {
            name.removeprefix("kind_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("kind_")
        }


class TeamReminderSettingsForm(forms.ModelForm):
    class Meta:
        model = ReminderTeamSettings
        fields = ["retro_days_before"]
        labels = {"retro_days_before": "Send the retro reminder this many days before"}
        help_texts = {
            "retro_days_before": (
                f"From 1 to {RETRO_REMINDER_MAX_DAYS_BEFORE} days, at the retro's time of day."
            )
        }
