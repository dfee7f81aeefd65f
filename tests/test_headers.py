import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

TEMPLATES = Path(settings.BASE_DIR, "templates")


def test_every_page_carries_a_strict_content_security_policy(people, client_for):
    client = client_for(people.lead)
    for url in (
        reverse("home"),
        reverse("practices:charter", args=["pay"]),
        reverse("practices:charter_section_edit", args=["pay", "retros"]),
    ):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert "unsafe-inline" not in policy
        assert directives["frame-ancestors"] == "'none'"


def test_the_sign_in_page_has_the_policy_too(client, db):
    assert "script-src 'self'" in client.get(reverse("login"))["Content-Security-Policy"]


def test_session_cookie_is_http_only_and_same_site_lax(client, db, people):
    from tests.factories import PASSWORD

    client.post(reverse("login"), {"username": people.member.email, "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_templates_have_no_inline_script_style_or_handlers():
    for path in TEMPLATES.rglob("*.html"):
        if "emails" in path.parts:
            continue  # emails are not pages; mail clients need inline styles
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path


def test_htmx_is_served_from_our_static_files():
    base = (TEMPLATES / "base.html").read_text()
    assert "{% static 'js/htmx.min.js' %}" in base
    assert Path(settings.BASE_DIR, "static/js/htmx.min.js").stat().st_size > 10_000
