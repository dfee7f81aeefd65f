"""Jira tokens at rest: Fernet with the key(s) from ``settings.JIRA_TOKEN_KEYS``."""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class TokenUnreadable(Exception):
    """The stored token was encrypted with a key we no longer have."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.JIRA_TOKEN_KEYS])


def token_encrypt(*, token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def token_decrypt(*, encrypted: str) -> str:
    try:
        return _fernet().decrypt(encrypted.encode()).decode()
    except InvalidToken:
        raise TokenUnreadable(
            "The saved Jira token cannot be decrypted (was JIRA_TOKEN_KEY changed?). "
            "Enter the token again."
        ) from None
