"""The local defaults: ``run_all --port`` and email links; emails as .eml files."""

import email
import subprocess
import sys
from email import policy

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from teamlead.management.commands import run_all


def test_site_url_follows_the_port_when_it_is_not_set():
    env = run_all.child_environment(host="127.0.0.1", port=8123, environ={"PATH": "/bin"})
    assert env["SITE_URL"] == "http://127.0.0.1:8123"
    assert env["PATH"] == "/bin"
    wildcard = run_all.child_environment(host="0.0.0.0", port=9000, environ={})  # noqa: S104
    assert wildcard["SITE_URL"] == "http://127.0.0.1:9000"


def test_a_site_url_that_was_set_is_kept():
    env = run_all.child_environment(
        host="127.0.0.1", port=8123, environ={"SITE_URL": "https://team.example.com"}
    )
    assert env["SITE_URL"] == "https://team.example.com"


def test_run_all_gives_the_web_server_and_the_worker_the_ports_site_url(monkeypatch, capsys):
    started = []

    class Stopped:
        pid = 0

        def __init__(self, command, **kwargs):
            started.append((command, kwargs["env"]))

        def poll(self):
            return 0  # exited at once: run_all reports it and returns

        def wait(self, timeout=None):
            return 0

    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setattr(run_all.subprocess, "Popen", Stopped)
    call_command("run_all", "--port", "8123")
    assert [env["SITE_URL"] for _, env in started] == ["http://127.0.0.1:8123"] * 2
    assert any("runserver" in command and "127.0.0.1:8123" in command for command, _ in started)
    assert "their links go to http://127.0.0.1:8123" in capsys.readouterr().out


def test_the_local_mail_backend_is_the_eml_one_by_default():
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        capture_output=True,
        text=True,
        check=True,
        env={
            "DJANGO_SETTINGS_MODULE": "teamlead.settings",
            "PATH": "/usr/bin:/bin",
            "EMAIL_URL": "filemail:////tmp/teamlead-mail-test",
        },
    ).stdout
    assert out.strip() == "teamlead.mail.EmlFileBackend"


@pytest.mark.django_db
def test_each_email_is_one_eml_file_a_mail_client_opens(tmp_path):
    with override_settings(EMAIL_BACKEND="teamlead.mail.EmlFileBackend", EMAIL_FILE_PATH=tmp_path):
        connection = mail.get_connection()
        messages = [
            mail.EmailMultiAlternatives(f"Hello {n}", f"Body {n}", to=[f"p{n}@example.com"])
            for n in range(2)
        ]
        messages[0].attach_alternative("<p>Body 0</p>", "text/html")
        assert connection.send_messages(messages) == 2
    files = sorted(tmp_path.iterdir())
    assert [path.suffix for path in files] == [".eml", ".eml"]
    parsed = sorted(
        (email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files),
        key=lambda m: m["Subject"],
    )
    assert [m["Subject"] for m in parsed] == ["Hello 0", "Hello 1"]
    assert parsed[0].get_body(("html",)).get_content().strip() == "<p>Body 0</p>"
    assert parsed[1].get_body(("plain",)).get_content().strip() == "Body 1"


def test_the_readme_points_at_nothing_a_clone_does_not_have():
    from django.conf import settings

    readme = (settings.BASE_DIR / "README.md").read_text()
    assert "../" not in readme
    assert "one `.eml` file per message" in readme
    assert "run_all --port" in readme
