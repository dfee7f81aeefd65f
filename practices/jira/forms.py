"""What a lead types to connect Jira, and the filters of the tickets page."""

from urllib.parse import urlsplit

from django import forms

from practices.jira.addresses import host_refusal
from practices.jira.jql import jql_split_order_by, jql_unbalanced
from practices.jira.selectors import DEFAULT_SORT, SORTS, TicketFilters
from practices.models import JiraDeployment, StatusCategory
from practices.single_line import OneLineField, one_line

JQL_MAX = 2000


class JiraConnectionForm(forms.Form):
    base_url = forms.URLField(
        label="Site address",
        max_length=200,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://your-company.atlassian.net"}),
        help_text="The address you open Jira at, with its path if it has one (…/jira).",
    )
    deployment = forms.ChoiceField(
        label="Kind of site",
        choices=JiraDeployment.choices,
        initial=JiraDeployment.CLOUD,
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(
        label="Account email",
        required=False,
        max_length=254,
        help_text="Cloud only: the Atlassian account the API token belongs to.",
    )
    token = forms.CharField(
        label="API token",
        required=False,
        max_length=1000,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Cloud: an API token from id.atlassian.com. Data Center: a personal "
        "access token. Stored encrypted and never shown again.",
    )
    jql = forms.CharField(
        label="JQL filter",
        max_length=JQL_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="Which tickets belong to the team, e.g. project = PAY. Any ORDER BY is "
        "ignored: the sync orders by update time.",
    )
    sync_interval_minutes = forms.IntegerField(
        label="Sync every (minutes)",
        min_value=1,
        max_value=1440,
        initial=5,
    )

    def __init__(self, *args, has_token: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.has_token = has_token
        if has_token:
            self.fields["token"].help_text = (
                "A token is saved (encrypted; it is never shown). Leave this empty to keep "
                "it, or paste a new one to replace it."
            )

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"].strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise forms.ValidationError("Use an http:// or https:// address.")
        if parts.username or parts.password:
            raise forms.ValidationError("Leave the user and password out of the address.")
        if parts.query or parts.fragment:
            raise forms.ValidationError("Give the site's address only, without ? or #.")
        # A name is checked again, with every address it resolves to, on each connection.
        problem = host_refusal(parts.hostname or "")
        if problem:
            raise forms.ValidationError(problem)
        return url

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        # A secret is sent as typed: folding a line break would change it, and Jira would
        # refuse it with a message about the address rather than the token.
        if one_line(token) != token:
            raise forms.ValidationError(
                "An API token is one line: paste it again without line breaks."
            )
        return token

    def clean_jql(self) -> str:
        jql = " ".join(self.cleaned_data["jql"].split())
        where, _ = jql_split_order_by(jql)
        if not where:
            raise forms.ValidationError("Give a filter before any ORDER BY, e.g. project = PAY.")
        problem = jql_unbalanced(where)
        if problem:
            raise forms.ValidationError(f"This JQL cannot work: {problem}.")
        return jql

    def clean(self) -> dict:
        data = super().clean()
        if data.get("deployment") == JiraDeployment.CLOUD:
            if not data.get("email") and "email" not in self.errors:
                self.add_error("email", "Jira Cloud needs the email of the token's account.")
        else:
            data["email"] = ""
        if not data.get("token") and not self.has_token:
            self.add_error("token", "Enter the API token.")
        return data


class ReviewStatusesForm(forms.Form):
    statuses = forms.MultipleChoiceField(
        label="Statuses that mean “in review”",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, known: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["statuses"].choices = [(name, name) for name in known]


class TicketFilterForm(forms.Form):
    """The tickets page's query string; anything unknown is ignored, never an error page."""

    category = forms.ChoiceField(required=False, choices=[("", "Any"), *StatusCategory.choices[:3]])
    status = OneLineField(required=False, max_length=100)
    type = OneLineField(required=False, max_length=100)
    assignee = OneLineField(required=False, max_length=128)
    label = OneLineField(required=False, max_length=255)
    q = OneLineField(required=False, max_length=200)
    sort = forms.ChoiceField(
        required=False,
        choices=[(name, name) for key in SORTS for name in (key, f"-{key}")],
    )
    view = forms.ChoiceField(required=False, choices=[("list", "List"), ("board", "Board")])

    def filters(self) -> TicketFilters:
        self.is_valid()  # a field that does not validate is left out, not reported
        data = self.cleaned_data
        label = (data.get("label") or "").split()
        return TicketFilters(
            category=data.get("category") or "",
            status=data.get("status") or "",
            issue_type=data.get("type") or "",
            assignee=data.get("assignee") or "",
            label=label[0] if label else "",
            text=(data.get("q") or "").strip(),
            sort=data.get("sort") or DEFAULT_SORT,
        )

    def layout(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("view") or "list"
