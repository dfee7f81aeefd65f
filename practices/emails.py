"""Mail plumbing every practice and app shares: addresses, Message-IDs, building and
sending a text + HTML email.

Links are built from ``SITE_URL`` because a worker, not a request, sends them.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.crypto import salted_hmac

from practices.single_line import header_line


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path


def message_id_make(*, what: str, pk: int, occasion: object = "") -> str:
    """A Message-ID that names one email of one row: the same whenever it is rebuilt.

    A worker that dies after the mail server took the message but before the row was
    marked sent sends it again; with the same Message-ID, mail systems and clients
    fold the second copy into the first instead of showing a new email. ``occasion``
    tells apart emails one row sends on different occasions (voting closed again
    after a reopen). The hash (keyed with the secret key) keeps ids from two
    databases whose rows share a primary key apart, and says nothing readable.
    """
    digest = salted_hmac("teamlead.message-id", f"{what}:{pk}:{occasion}").hexdigest()[:16]
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{what}-{pk}-{digest}@{domain}>"


def email_build(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    headers: dict | None = None,
    message_id: str = "",
) -> EmailMultiAlternatives:
    """A text + HTML email rendered from templates/emails/<template>.txt|.html, unsent.

    Without ``message_id`` Django makes a new random one each time it is built. Every
    email is built here, so here the subject and the headers are made one line: a title
    stored with a line break (before forms folded them) would otherwise make the send
    fail with BadHeaderError, and the email would be lost.
    """
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    headers = {name: header_line(str(value)) for name, value in (headers or {}).items()}
    if message_id:
        headers["Message-ID"] = message_id
    message = EmailMultiAlternatives(
        subject=header_line(subject), body=text, to=[to], headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message


def email_send(
    *, to: str, subject: str, template: str, context: dict, message_id: str = ""
) -> None:
    """Sends a text + HTML email rendered from templates/emails/<template>.txt|.html."""
    email_build(
        to=to, subject=subject, template=template, context=context, message_id=message_id
    ).send()
