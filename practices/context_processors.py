from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from practices.selectors import membership_list_for_user


def teams(request: HttpRequest) -> dict:
    """The signed-in user's teams for the navigation's team switcher, fetched only if shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"my_memberships": SimpleLazyObject(lambda: list(membership_list_for_user(user=user)))}
