"""Logging filters named in ``settings.LOGGING``."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """An expected refusal (403, 404: a 4xx) is one line in the log, not a traceback.

    Django logs a ``PermissionDenied`` with its traceback, as if it were a bug; for us
    it is a normal answer (a member trying a lead's action). 5xx keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
