"""Helpers every view and template shares: how a person is named, form errors, who may act.

One display rule for people, used by Python code (``person_name``), by selectors that
read bare columns (``person_name_from``) and by templates (``{{ user|person }}``), so
that a person reads the same on every page and in every email.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError


def person_name_from(first_name: str, last_name: str, email: str) -> str:
    """The name a person chose, else their email: the rule, from the columns alone."""
    return f"{first_name} {last_name}".strip() or email


def person_name(user: AbstractBaseUser | None, *, nobody: str = "someone who left") -> str:
    """How ``user`` is shown: their name, else their email; ``nobody`` for a deleted user.

    The template filter gives "" for nobody, so that each page says it its own way
    (``{{ event.actor|person|default:"Teamlead" }}``).
    """
    if user is None:
        return nobody
    name = person_name_from(
        getattr(user, "first_name", ""), getattr(user, "last_name", ""), user.email
    )
    return name or user.get_username()


def form_errors_apply(form, error: ValidationError) -> None:
    """Puts a service's ValidationError next to the fields it names (else above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def lead_required(membership, why: str = "Only the team's leads can do that.") -> None:
    """Refuses (403) anyone but a lead; ``why`` is shown on the 403 page, so each caller
    passes the sentence it has always shown."""
    if not membership.is_lead:
        raise PermissionDenied(why)


def contributor_required(
    membership, why: str = "Observers read along; members and leads take part."
) -> None:
    """Refuses (403) an observer: only leads and members take part (``takes_part``)."""
    if not membership.takes_part:
        raise PermissionDenied(why)
