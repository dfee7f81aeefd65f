from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from practices.models import Membership, Role
from practices.reminders.heartbeat import heartbeat_stale_since_cached


def beat_warning(request: HttpRequest) -> dict:
    """``scheduler_warning`` for leads (read only when the page shows it): a message when
    beat stopped ticking, since then no reminder goes out.

    The heartbeat (cached) is asked first: while beat runs, no query is made.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def scheduler_warning() -> str:
        since = heartbeat_stale_since_cached()
        if since is None:
            return ""
        if not Membership.objects.filter(user=user, role=Role.LEAD).exists():
            return ""
        return (
            f"Reminders are not going out: the scheduler (Celery beat) last ran at "
            f"{since:%Y-%m-%d %H:%M} UTC. Check that the beat process is running."
        )

    return {"scheduler_warning": SimpleLazyObject(scheduler_warning)}
