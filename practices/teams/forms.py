"""Forms for signing in, teams, memberships and a person's own account (charter forms
live in ``practices.charter``)."""

import zoneinfo

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.db import transaction

from practices.models import Role, Team, validate_time_zone
from practices.single_line import OneLineField
from practices.teams.services import password_reset_request, user_name_set
from practices.web import person_name

AXES_USERNAME_MAX = 255
COMMON_TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


class PersonalTimeZoneField(OneLineField):
    """A person's own time zone, optional: typed with the time-zone list as suggestions.

    The profile page and the reminders page both ask for it, with the same words.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", "Your time zone")
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("required", False)
        kwargs.setdefault("validators", [validate_time_zone])
        kwargs.setdefault(
            "help_text", "Dates in reminders are shown in it. Empty: each team's time zone."
        )
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"})
        )
        super().__init__(**kwargs)


def sign_in_username(request, credentials: dict | None) -> str | None:
    """The account a sign-in attempt is for, as django-axes counts failures.

    Normalised like the form does, so "Ana@Example.com " and "ana@example.com" share
    one failure count and case games cannot dodge the lock.
    """
    if credentials and credentials.get("username"):
        raw = credentials["username"]
    else:
        raw = getattr(request, "POST", {}).get("username")
    if not isinstance(raw, str):
        return raw
    # Axes stores it in a varchar(255) and PostgreSQL refuses NUL in text: a hostile
    # 1 MB "email" must be counted, not answered with a 500.
    return raw.replace("\x00", "").strip().lower()[:AXES_USERNAME_MAX]


class SignInForm(auth_forms.AuthenticationForm):
    # AuthenticationForm only sets the input's maxlength; this checks the length too,
    # before anything (django-axes included) looks the address up.
    username = auth_forms.UsernameField(
        label="Email",
        max_length=254,
        error_messages={"max_length": "An email address has at most 254 characters."},
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. "
        "Passwords are case-sensitive.",
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, with the email sent by a worker instead of the request."""

    def save(self, *args, **kwargs) -> None:
        for user in self.get_users(self.cleaned_data["email"]):
            password_reset_request(user_id=user.pk)


class TeamForm(forms.ModelForm):
    time_zone = OneLineField(
        max_length=64,
        validators=[validate_time_zone],
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
        help_text="Where the team works, e.g. Europe/Berlin. Times are shown in it.",
    )

    class Meta:
        model = Team
        fields = ["name", "slug", "time_zone"]
        field_classes = {"name": OneLineField}
        labels = {"slug": "Short name"}
        help_texts = {"slug": "Lower-case letters, digits and dashes, e.g. pay. Used in addresses."}

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].lower()
        # Said now, with the other errors; the service checks again under concurrency.
        if Team.objects.filter(slug=slug).exists():
            raise forms.ValidationError("That short name is taken; choose another.")
        return slug

    def validate_unique(self) -> None:
        # The service checks the slug itself, with a friendlier message.
        pass


class TeamSettingsForm(forms.ModelForm):
    time_zone = TeamForm.base_fields["time_zone"]

    class Meta:
        model = Team
        fields = ["name", "time_zone"]
        field_classes = {"name": OneLineField}


class MemberAddForm(forms.Form):
    name = OneLineField(
        max_length=150,
        required=False,
        help_text="How the team sees them; they can change it when they join.",
        widget=forms.TextInput(attrs={"placeholder": "Ana Silva", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"placeholder": "name@example.com"})
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
    is_senior = forms.BooleanField(label="Senior", required=False)

    def clean_email(self) -> str:
        return get_user_model().objects.normalize_email(self.cleaned_data["email"]).lower()


class MemberUpdateForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    is_senior = forms.BooleanField(label="Senior", required=False)


class MemberHandOverForm(forms.Form):
    """Who takes over a person's open roles: one of the team's members or leads."""

    to = forms.TypedChoiceField(
        label="Hand over to",
        coerce=int,
        error_messages={"required": "Pick who takes them over.",
                        "invalid_choice": "Pick a member or lead of the team."},
    )  # fmt: skip

    def __init__(self, *args, choices: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [("", "Pick someone"), *choices]


NAME_HELP = "How your team sees you on every page and in emails."


class ProfileForm(forms.Form):
    name = OneLineField(
        max_length=150, help_text=NAME_HELP, error_messages={"required": "Write your name."}
    )
    email = forms.EmailField(
        max_length=254,
        help_text="You sign in with it; reminders are sent to it. A new one is confirmed "
        "by a link we email to it.",
    )
    time_zone = PersonalTimeZoneField()
    password = forms.CharField(
        label="Current password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Only to change your email.",
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
