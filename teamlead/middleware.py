"""Django's sign-in requirement, asking the view before the session."""

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's, with its two questions swapped: a page that needs no sign-in is served
    without loading the session. Django asks who the user is first, which is a database
    query for any browser that carries a session cookie, so ``/healthz`` opened in a
    signed-in browser while the database is down would fail as the pages do, instead of
    answering its own JSON 503."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
