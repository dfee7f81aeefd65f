"""The signed link that confirms a new email address for an account.

Signed with its own salt, good for one day, and only while the account still has the
address it had when the change was asked for: a later change voids earlier links.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError

SALT = "teamlead.email-change"
MAX_AGE_SECONDS = 24 * 3600


def email_change_token_make(*, user: AbstractBaseUser, email: str) -> str:
    return signing.dumps({"u": user.pk, "from": user.email.lower(), "to": email}, salt=SALT)


def email_change_token_read(*, token: str) -> dict:
    try:
        return signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise ValidationError("This link has expired: change your email again.") from None
    except signing.BadSignature:
        raise ValidationError("This link is not valid.") from None
