"""The profile form and the invitation's "choose a password" form, with a name."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.db import transaction

from practices.accounts.services import user_name_set
from practices.models import validate_time_zone
from practices.single_line import OneLineField
from practices.web import person_name

NAME_HELP = "How your team sees you on every page and in emails."


class ProfileForm(forms.Form):
    name = OneLineField(
        max_length=150, help_text=NAME_HELP, error_messages={"required": "Write your name."}
    )
    email = forms.EmailField(
        max_length=254, help_text="You sign in with it; reminders are sent to it."
    )
    time_zone = OneLineField(
        label="Your time zone",
        max_length=64,
        required=False,
        validators=[validate_time_zone],
        help_text="Dates in reminders are shown in it. Empty: each team's time zone.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )


class InvitationAcceptForm(auth_forms.SetPasswordForm):
    """Choose a password, and confirm (or correct) the name the lead typed."""

    field_order = ["name", "new_password1", "new_password2"]

    name = OneLineField(
        max_length=150, help_text=NAME_HELP, error_messages={"required": "Write your name."}
    )

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        if user is not None:
            name = person_name(user)
            self.fields["name"].initial = "" if name == user.email else name
        self.fields["name"].widget.attrs["autocomplete"] = "name"

    @transaction.atomic
    def save(self, commit: bool = True):
        user_name_set(user=self.user, name=self.cleaned_data["name"])
        return super().save(commit=commit)


class PasswordForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The profile page opens on the name, not on the password box below it.
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
