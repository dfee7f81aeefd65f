"""The local email backend: one ``.eml`` file per message, which a mail client opens.

Django's file backend appends every message a connection sends to one ``.log`` file,
79 dashes apart; a mail client cannot open that.
"""

import uuid
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend
from django.utils import timezone


class EmlFileBackend(EmailBackend):
    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            path = Path(self.file_path) / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            # "x": a new file or an error, never half of someone else's message.
            with path.open("xb") as file:
                file.write(message.message().as_bytes(linesep="\r\n"))
            sent += 1
        return sent
