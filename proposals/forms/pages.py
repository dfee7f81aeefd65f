"""What people type to write, review and retire a design page."""

from django import forms

from practices.single_line import OneLineField
from proposals.models import PageStatus
from proposals.selectors.pages import Candidate
from proposals.services.pages import BODY_MAX_CHARS, TITLE_MAX_CHARS

# Where a page written from scratch starts: the questions a reviewer will ask anyway.
NEW_PAGE_OUTLINE = (
    "## Context\n\nWhat problem this solves, and for whom.\n\n"
    "## Design\n\nHow it works: components, data, interfaces.\n\n"
    "## Alternatives considered\n\n"
    "## Rollout and risks\n\nHow it ships, how we know it works, how we roll it back.\n"
)


class PageForm(forms.Form):
    title = OneLineField(
        max_length=TITLE_MAX_CHARS,
        error_messages={"required": "Give the page a title."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # No max_length: a browser's maxlength would cut a long paste short without a word;
    # the length is checked here instead, with a message that says what to do.
    body = forms.CharField(
        label="Page",
        required=False,
        strip=False,
        initial=NEW_PAGE_OUTLINE,
        help_text=f"Markdown: headings, lists, tables, links. Up to {BODY_MAX_CHARS:,} characters.",
        widget=forms.Textarea(attrs={"rows": 24}),
    )

    def clean_body(self) -> str:
        # Browsers send CRLF line ends; stored text and diffs use LF.
        body = self.cleaned_data["body"].replace("\r\n", "\n")
        if len(body) > BODY_MAX_CHARS:
            raise forms.ValidationError(
                f"The page is {len(body):,} characters long; the limit is {BODY_MAX_CHARS:,}. "
                "Split it into several pages or link to the long parts."
            )
        return body


class PageEditForm(PageForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    message = OneLineField(
        label="Why this change (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. answered Sam's review"}),
    )

    def set_version(self, version: int) -> None:
        """Lets the editor save again over a change they have now seen."""
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = str(version)


class RequestReviewForm(forms.Form):
    reviewers = forms.TypedMultipleChoiceField(
        label="Ask for a review",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Pick at least one reviewer.",
            "invalid_choice": "Pick reviewers from the list: the team's members and leads.",
        },
    )

    def __init__(self, *args, candidates: list[Candidate], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].choices = [(c.user_id, c.label) for c in candidates]
        if not self.is_bound:
            self.initial["reviewers"] = [c.user_id for c in candidates if c.is_default]


class ReviewForm(forms.Form):
    APPROVE = "approve"
    CHANGES = "changes"

    decision = forms.ChoiceField(
        label="Your answer",
        choices=[(APPROVE, "Approve"), (CHANGES, "Request changes")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose Approve or Request changes."},
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=5000,
        help_text="Required when you request changes: say what should change.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.CHANGES and not (data.get("comment") or "").strip():
            self.add_error("comment", "Say what should change: a reason is required.")
        return data

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == self.APPROVE


class PageStatusForm(forms.Form):
    """Only "obsolete" is set by hand: approval comes from reviews, review from the driver."""

    status = forms.ChoiceField(
        choices=[(PageStatus.OBSOLETE, "Obsolete")],
        error_messages={
            "invalid_choice": "A page is only marked obsolete by hand; "
            "review and approval follow from the reviews.",
            "required": "Say which status to set.",
        },
    )


class PageFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *PageStatus.choices])


class LeadApproveForm(forms.Form):
    """A lead's way out of a review the team cannot complete: approve, with a note."""

    note = forms.CharField(
        label="Why you approve it",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown on the page's timeline, with your name.",
        error_messages={"required": "Say why you approve it: the note goes on the timeline."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
