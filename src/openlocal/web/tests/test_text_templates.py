"""Plain-text templates (the text part of every email) are not escaped as HTML."""

from __future__ import annotations

from types import SimpleNamespace

from django.template.loader import render_to_string


def test_an_apostrophe_in_a_text_email_arrives_as_written():
    body = SimpleNamespace(name="O'Neill & Sons Water")
    request = SimpleNamespace(
        pk=7,
        title="Pipe burst by St Mary's <church>",
        category=SimpleNamespace(name="Water leak"),
        body=body,
        private=False,
    )
    text = render_to_string(
        "emails/report_confirmation.txt",
        {"site_name": "OpenLocal", "request": request, "url": "https://example.org/requests/7"},
    )
    assert "Pipe burst by St Mary's <church>" in text
    assert "O'Neill & Sons Water" in text
    assert "&#39;" not in text and "&amp;" not in text


def test_html_templates_are_still_escaped():
    html = render_to_string("emails/_footer.html", {"stop_url": '"><script>alert(1)</script>'})
    assert "<script>alert(1)</script>" not in html
