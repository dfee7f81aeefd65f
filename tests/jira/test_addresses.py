"""A Jira site's address: never the machine's neighbours, however it is written or resolved.

IPv6 forms that carry an IPv4 address passed the "cannot be a Jira site" check, and a
name was never checked at all: the address it resolves to is checked when connecting.
"""

import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.urls import reverse

from practices.jira import addresses
from practices.jira.client import JiraClient, JiraSetupError
from practices.models import JiraConnection
from tests.jira.test_connection_page import form_data

URL = reverse("practices:jira_connection", args=["pay"])
TEST_URL = reverse("practices:jira_connection_test", args=["pay"])

METADATA = [
    "http://169.254.169.254/latest",
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped, dotted
    "http://[::ffff:a9fe:a9fe]/",  # IPv4-mapped, hex
    "http://[::169.254.169.254]/",  # IPv4-compatible
    "http://[::a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64
    "http://[2002:a9fe:a9fe::1]/",  # 6to4
    "http://[fe80::1]/",
    "http://0.0.0.0:8080/",
    "http://[::]/",
]
LOCAL = [
    "http://127.0.0.1:6379/",
    "http://[::1]:5432/",
    "http://[::ffff:127.0.0.1]:6379/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.5]/jira",
    "http://[64:ff9b::a00:5]/",
    "http://10.0.0.5/jira",
    "http://192.168.1.20/",
    "http://100.64.0.1/",
    "http://localhost:6379/",
    "http://jira.localhost/",
]


@pytest.fixture
def nothing_allowed(settings):
    settings.JIRA_ALLOWED_NETWORKS = []


@pytest.mark.parametrize("base_url", METADATA)
def test_a_metadata_address_in_any_form_is_refused(
    people, client_for, fake_jira, nothing_allowed, base_url
):
    response = client_for(people.lead).post(URL, form_data(fake_jira, base_url=base_url))
    assert response.status_code == 200
    assert "That address cannot be a Jira site: " in response.text
    assert not JiraConnection.objects.exists()


@pytest.mark.parametrize("base_url", LOCAL)
def test_a_private_or_local_address_in_any_form_is_refused_unless_allowed(
    people, client_for, fake_jira, nothing_allowed, base_url
):
    response = client_for(people.lead).post(URL, form_data(fake_jira, base_url=base_url))
    assert "is a private or local address" in response.text
    assert "JIRA_ALLOWED_NETWORKS" in response.text
    assert not JiraConnection.objects.exists()


def test_an_allowed_private_network_is_accepted_but_metadata_never(settings):
    settings.JIRA_ALLOWED_NETWORKS = [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("169.254.0.0/16"),
    ]
    assert addresses.host_refusal("[::ffff:10.0.0.5]") is None
    assert addresses.host_refusal("10.0.0.5") is None
    assert addresses.host_refusal("[::ffff:a9fe:a9fe]") == (
        "That address cannot be a Jira site: 169.254.169.254 is link-local (where cloud "
        "metadata services live)."
    )
    assert addresses.host_refusal("192.168.0.1") is not None
    assert addresses.host_refusal("jira.example.com") is None  # checked when connecting
    assert addresses.host_refusal("8.8.8.8") is None


def _resolving(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Names resolve to ``answers`` (other names as usual); returns the names looked up."""
    real = socket.getaddrinfo
    looked_up = []

    def getaddrinfo(host, port, *args, **kwargs):
        looked_up.append(host)
        if host not in answers:
            return real(host, port, *args, **kwargs)
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port),
            )
            for ip in answers[host]
        ]

    monkeypatch.setattr(addresses.socket, "getaddrinfo", getaddrinfo)
    return looked_up


def _client(fake, host: str) -> JiraClient:
    port = fake.url.rsplit(":", 1)[1]
    return JiraClient(
        base_url=f"http://{host}:{port}", deployment="cloud", email=fake.email, token=fake.token
    )


def test_a_name_that_resolves_to_a_private_address_is_refused_when_connecting(
    fake_jira, nothing_allowed, monkeypatch
):
    _resolving(monkeypatch, {"jira.corp.test": ["127.0.0.1"]})
    with pytest.raises(JiraSetupError) as refused, _client(fake_jira, "jira.corp.test") as client:
        client.connect()
    assert refused.value.message.startswith("jira.corp.test resolves to 127.0.0.1.")
    assert "private or local address" in refused.value.message
    assert fake_jira.requests == [], "not one request reached it"


def test_localhost_is_refused_when_connecting_without_the_allowance(fake_jira, nothing_allowed):
    client = _client(fake_jira, "localhost")
    with pytest.raises(JiraSetupError, match=r"resolves to .*private or local"), client:
        client.connect()
    assert fake_jira.requests == []


def test_one_private_answer_among_public_ones_refuses_the_name(
    fake_jira, nothing_allowed, monkeypatch
):
    _resolving(monkeypatch, {"jira.corp.test": ["93.184.216.34", "10.0.0.7"]})
    client = _client(fake_jira, "jira.corp.test")
    with pytest.raises(JiraSetupError, match=r"resolves to 10\.0\.0\.7"), client:
        client.connect()


def test_the_connection_goes_to_the_address_that_was_checked(fake_jira, monkeypatch):
    # 127.0.0.1 is allowed (the tests' default): the connection is made to the address
    # the check saw, so no second lookup of the name could change where it goes.
    looked_up = _resolving(monkeypatch, {"jira.corp.test": ["127.0.0.1"]})
    with _client(fake_jira, "jira.corp.test") as client:
        assert client.connect()["deploymentType"] == "Cloud"
        client.myself()
    # Each connection: the name once, through the check, then the checked address itself.
    assert set(looked_up) == {"jira.corp.test", "127.0.0.1"}
    assert looked_up.count("jira.corp.test") == looked_up.count("127.0.0.1")
    assert fake_jira.requests


def test_testing_the_connection_says_the_name_leads_to_a_private_address(
    people, client_for, fake_jira, nothing_allowed, monkeypatch
):
    _resolving(monkeypatch, {"jira.corp.test": ["10.0.0.7"]})
    data = form_data(fake_jira, base_url="https://jira.corp.test")
    response = client_for(people.lead).post(TEST_URL, data, HTTP_HX_REQUEST="true")
    assert "jira.corp.test resolves to 10.0.0.7." in response.text
    assert "private or local address" in response.text


def test_the_checked_connection_still_names_the_site_in_the_host_header(monkeypatch):
    """Connecting to the checked address must not replace the name the request carries:
    the Host header (and, over HTTPS, SNI and the certificate check) need the name."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _resolving(monkeypatch, {"jira.corp.test": ["127.0.0.1"]})
        port = server.server_address[1]
        with addresses.checked_session_mount(requests.Session()) as session:
            assert session.get(f"http://jira.corp.test:{port}/", timeout=5).status_code == 204
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [f"jira.corp.test:{port}"]
