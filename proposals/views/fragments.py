"""The discussion and the timeline of a proposal page, rendered once for everyone.

They are the page's heaviest parts and the same for every reader, so each rendering is
cached (``proposals.selectors.page_cache``) under a key that names what it shows: the
``PageStamp`` (comments and events are only ever added, so their count and newest id
identify them), the variant asked for, the team's time zone and the template's source.
A new comment or event makes a new key; nothing has to be invalidated.

Reply forms sit inside the discussion, and a form's CSRF token belongs to the
reader's session: the rendering keeps a placeholder that is swapped for the reader's
token on the way out. The placeholder is derived from SECRET_KEY, so no comment can
contain it and have a reader's token written into a link of the author's choosing.
"""

import hashlib
from functools import cache, lru_cache, partial

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import engines
from django.template.loader import render_to_string
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString, mark_safe

from proposals.models import Proposal
from proposals.selectors import proposals as selectors
from proposals.selectors.page_cache import page_cached, page_key

TEMPLATE = "proposals/detail.html"


def _template_version() -> str:
    """Changes when the template does: in development the template is reloaded without
    restarting the process, and its cached renderings must not outlive it."""
    return _source_hash(engines["django"].get_template(TEMPLATE).template.source)


@lru_cache(maxsize=4)
def _source_hash(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:12]


@cache
def _csrf_placeholder() -> str:
    return salted_hmac("proposals.fragments.csrf", "placeholder").hexdigest()


def _token_input(token: str) -> str:
    """What ``{% csrf_token %}`` writes, around the part that differs per reader."""
    return f'name="csrfmiddlewaretoken" value="{token}"'


def _fragment(proposal: Proposal, partial: str, context, *variant: object) -> str:
    """The template's ``partial``, rendered with ``context()`` unless the cache has it.

    ``variant``: everything besides the proposal, its team's time zone and the template
    that the rendering depends on.
    """
    team = proposal.team
    key = page_key(proposal, partial, _template_version(), *variant, team.time_zone)
    return page_cached(
        key, lambda: render_to_string(f"{TEMPLATE}#{partial}", {"team": team, **context()})
    )


def threads_html(
    request: HttpRequest,
    *,
    proposal: Proposal,
    stamp: selectors.PageStamp,
    can_comment: bool,
    all_comments: bool,
) -> SafeString:
    """The discussion's threads with their reply forms (when ``can_comment``)."""
    html = _fragment(
        proposal,
        "threads",
        lambda: {
            "proposal": proposal,
            "threads": selectors.proposal_threads(proposal=proposal, all_comments=all_comments),
            "can_comment": can_comment,
            "csrf_token": _csrf_placeholder(),
        },
        stamp.comment_count,
        stamp.last_comment_id,
        all_comments,
        can_comment,
    )
    mine = _token_input(get_token(request))
    # Safe: the rendering was escaped when it was made; only the token is put in.
    return mark_safe(html.replace(_token_input(_csrf_placeholder()), mine))  # noqa: S308  # nosec B308 B703


def timeline_html(
    *, proposal: Proposal, stamp: selectors.PageStamp, all_events: bool
) -> SafeString:
    """The timeline's entries, oldest first."""
    html = _fragment(
        proposal,
        "events",
        lambda: {"events": selectors.proposal_events(proposal=proposal, all_events=all_events)},
        stamp.event_count,
        stamp.last_event_id,
        all_events,
    )
    # Safe: the rendering was escaped when it was made.
    return mark_safe(html)  # noqa: S308  # nosec B308 B703


def page_fragments(
    request: HttpRequest, *, proposal: Proposal, page: selectors.ProposalPage, can_comment: bool
) -> dict:
    """The discussion and the timeline for the page's context, as the reader asked for them.

    Callables: the template calls them only where it shows them (a vote's answer has no
    discussion), and they are then read from the cache unless something was added.
    """
    all_comments = request.GET.get("discussion") == "all"
    all_events = request.GET.get("timeline") == "all"
    return {
        "threads_html": partial(
            threads_html,
            request,
            proposal=proposal,
            stamp=page.stamp,
            can_comment=can_comment,
            all_comments=all_comments,
        ),
        "timeline_html": partial(
            timeline_html, proposal=proposal, stamp=page.stamp, all_events=all_events
        ),
        "earlier_threads": page.stamp.earlier_threads(all_comments=all_comments),
        "earlier_events": page.stamp.earlier_events(all_events=all_events),
    }
