from html.parser import HTMLParser

import pytest

from practices.markdown import render_markdown


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(str(html))
    return parser.found


def assert_harmless(html: str) -> None:
    """No element that runs script: text that merely mentions it is fine (it is escaped)."""
    for tag, attrs in elements(html):
        assert tag not in {"script", "iframe", "img", "object", "embed", "style", "svg"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), name
            if name in {"href", "src"}:
                assert value.startswith(("http://", "https://", "mailto:", "#")), value


def test_markdown_renders_common_formatting():
    html = render_markdown("# Title\n\n- **bold** item\n- [link](https://example.com)")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        '<div onmouseover="alert(1)">hover</div>',
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ],
)
def test_markdown_neutralises_hostile_input(hostile):
    assert_harmless(render_markdown(hostile))
    assert_harmless(
        render_markdown(f"Some text, then {hostile} inline, and a [fine](https://ok.example).")
    )


def test_empty_markdown_is_empty():
    assert render_markdown("") == ""
