"""A cache for what every reader of a proposal page shares.

Keys name their content: the proposal (its id and creation time, since ids can come
round again after a restore) and whatever the caller knows to change with the content
(an update time, a ``PageStamp``). A change makes a new key, so nothing is ever
invalidated, and each process can keep its own copies: this is the ``pages`` cache, in
the memory of the process, with no round trip to Redis. An entry is kept for at most
SECONDS, which also bounds how long a person renamed by an administrator still shows
under the old name.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches

from proposals.models import Proposal

SECONDS = 10 * 60
# Tests give each test a namespace of its own: ids are reused after a rollback.
NAMESPACE = "proposal-page"

T = TypeVar("T")


def page_key(proposal: Proposal, part: str, *variant: object) -> str:
    parts = [NAMESPACE, proposal.pk, proposal.created_at.timestamp(), part, *variant]
    return ":".join(str(p) for p in parts)


def page_cached(key: str, compute: Callable[[], T]) -> T:
    cache = caches["pages"]
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, SECONDS)
    return found
