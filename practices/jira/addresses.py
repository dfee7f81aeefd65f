"""Which machines a Jira connection may reach: public addresses, and private ones only
where the operator allows them.

A team lead types the Jira site's address, and the server then connects to it. Without
a rule, that lets a lead make the server call its own neighbours: the cloud's metadata
service (169.254.169.254, with the machine's credentials), Redis on 127.0.0.1, the
office network. So:

- link-local, unspecified and multicast addresses are never a Jira site;
- any other address that is not global (loopback, private, shared, reserved) is
  reached only when ``JIRA_ALLOWED_NETWORKS`` lists it (a Data Center site on the
  company network; the tests' fake Jira on 127.0.0.1);
- IPv6 forms that carry an IPv4 address (``::ffff:169.254.169.254``,
  ``::a9fe:a9fe``, NAT64 ``64:ff9b::``, 6to4 ``2002::``, Teredo) are judged by that
  IPv4 address: Python's ipaddress does not look inside them;
- the form checks an address typed as such, and ``checked_session`` checks every
  address a name resolves to when connecting, then connects to that very address, so
  a name pointed at a private address (or re-pointed after a check) is refused too.
"""

import ipaddress
import socket
import sys

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family, create_connection

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class AddressRefused(Exception):
    """The site's address is one Teamlead does not connect to; the message says why."""


def address_unwrapped(address: Address) -> Address:
    """The IPv4 address an IPv6 address carries, if it carries one; else ``address``."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def address_refusal(address: Address) -> str | None:
    """Why Teamlead will not connect to ``address``, or None when it may."""
    inner = address_unwrapped(address)
    kind = (
        "link-local (where cloud metadata services live)" if inner.is_link_local
        else "unspecified" if inner.is_unspecified
        else "multicast" if inner.is_multicast
        else None
    )  # fmt: skip
    if kind:
        return f"That address cannot be a Jira site: {inner} is {kind}."
    if inner.is_global or any(inner in network for network in _allowed_networks()):
        return None
    return (
        f"{inner} is a private or local address. Teamlead connects to one only when the "
        "server's JIRA_ALLOWED_NETWORKS setting lists its network."
    )


def host_refusal(host: str) -> str | None:
    """Why ``host`` (from a URL) cannot be a Jira site, when that is clear without DNS."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        host = "127.0.0.1"  # always the machine itself (RFC 6761)
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None  # a name: checked once it resolves, when connecting
    return address_refusal(address)


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return settings.JIRA_ALLOWED_NETWORKS


def _resolved(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, all checked: one refused refuses the host."""
    answers = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(answer[4][0] for answer in answers))
    for text in addresses:
        problem = address_refusal(ipaddress.ip_address(text.split("%", 1)[0]))
        if problem and text == host:
            raise AddressRefused(problem)
        if problem:
            raise AddressRefused(f"{host} resolves to {text}. {problem}")
    return addresses


class _CheckedConnection:
    """Connects only to addresses that passed ``address_refusal``, and to exactly those.

    urllib3's own ``_new_conn`` resolved the name again; this one connects to the
    checked address. ``self.host`` stays the name: the Host header, SNI and the
    certificate check need it.
    """

    def _new_conn(self):
        try:
            addresses = _resolved(self._dns_host, self.port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        failure = None
        for address in addresses:  # in the resolver's order, as urllib3 tries them
            try:
                sock = create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as error:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from error
            except OSError as error:
                failure = NewConnectionError(self, f"Failed to establish a new connection: {error}")
                continue
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        raise failure


class _CheckedHTTPConnection(_CheckedConnection, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class CheckedAdapter(HTTPAdapter):
    """requests' adapter whose connections check the address they connect to."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }


def checked_session_mount(session: requests.Session) -> requests.Session:
    """``session`` with every connection, http and https, checked."""
    adapter = CheckedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
