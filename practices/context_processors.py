from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from practices.reminders.heartbeat import heartbeat_stale_since_cached
from practices.selectors import membership_list_for_user


def teams(request: HttpRequest) -> dict:
    """The signed-in user's teams for the navigation's team switcher, fetched only if shown.

    Leads also get ``scheduler_warning`` (read only when the page shows it): a message
    when beat stopped ticking, since then no reminder goes out.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = SimpleLazyObject(lambda: list(membership_list_for_user(user=user)))

    def scheduler_warning() -> str:
        if not any(m.is_lead for m in memberships):
            return ""
        since = heartbeat_stale_since_cached()
        if since is None:
            return ""
        return (
            f"Reminders are not going out: the scheduler (Celery beat) last ran at "
            f"{since:%Y-%m-%d %H:%M} UTC. Check that the beat process is running."
        )

    return {
        "my_memberships": memberships,
        "scheduler_warning": SimpleLazyObject(scheduler_warning),
    }
