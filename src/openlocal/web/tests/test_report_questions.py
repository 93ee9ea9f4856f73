"""A category's extra questions appear on the details page in the form that suits each."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from openlocal.requests.models import (
    Category,
    CategoryGroup,
    CategoryQuestion,
    Request,
    RoutingRule,
)


@pytest.fixture
def graffiti(place) -> Category:
    category = Category.objects.create(
        name="Graffiti", slug="graffiti", service_code="GRF", group=CategoryGroup.GRAFFITI
    )
    RoutingRule.objects.create(category=category, area=place.west, body=place.west_council)
    questions = [
        ("where", "Where exactly?", "string", False, []),
        ("words", "What does it say?", "text", False, []),
        ("size", "How many square metres?", "number", True, []),
        ("seen", "When did you first see it?", "datetime", False, []),
        (
            "surfaces",
            "What is it on?",
            "multivaluelist",
            True,
            [{"key": "wall", "name": "A wall"}, {"key": "sign", "name": "A road sign"}],
        ),
    ]
    for order, (code, label, datatype, required, values) in enumerate(questions):
        CategoryQuestion.objects.create(
            category=category,
            code=code,
            label=label,
            datatype=datatype,
            required=required,
            values=values,
            order=order,
            hint="Roughly is fine" if code == "size" else "",
        )
    CategoryQuestion.objects.create(
        category=category,
        code="note",
        label="Offensive graffiti is removed within a day.",
        variable=False,
        order=99,
    )
    return category


def text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def to_details(client, category):
    client.post(
        reverse("web:report"), {"form": "coordinates", "latitude": "50.7", "longitude": "-3.55"}
    )
    client.post(reverse("web:report-category"), {"category": category.pk})


@pytest.mark.django_db
def test_each_datatype_gets_its_own_control(client, graffiti):
    to_details(client, graffiti)
    page = client.get(reverse("web:report-details"))
    html = page.content.decode()
    assert re.search(r'<input[^>]*id="id_answer_where"[^>]*type="text"', html)
    assert re.search(r'<textarea[^>]*id="id_answer_words"', html)
    assert re.search(r'<input[^>]*id="id_answer_size"[^>]*inputmode="decimal"', html)
    assert re.search(r'<input[^>]*id="id_answer_seen"[^>]*type="datetime-local"', html)
    assert re.search(
        r'<input[^>]*id="id_answer_surfaces"[^>]*type="checkbox"[^>]*value="wall"', html
    )
    body = text(page)
    assert "Where exactly? (optional)" in body
    assert "How many square metres? " in body and "How many square metres? (optional)" not in body
    assert "Roughly is fine" in body
    assert "What is it on?" in body and "<legend" in html
    assert "Offensive graffiti is removed within a day." in body


@pytest.mark.django_db
def test_answers_are_checked_and_kept(client, graffiti):
    to_details(client, graffiti)
    response = client.post(
        reverse("web:report-details"),
        {"title": "Tags", "description": "On the bridge.", "answer_size": "lots"},
    )
    body = text(response)
    assert "“How many square metres?” must be a number, like 3 or 2.5" in body
    assert "Answer “What is it on?”" in body
    assert 'value="lots"' in response.content.decode()  # what was typed is shown again

    response = client.post(
        reverse("web:report-details"),
        {
            "title": "Tags",
            "description": "On the bridge.",
            "answer_where": "Under the bridge",
            "answer_words": "Names\nand more names",
            "answer_size": "2.5",
            "answer_seen": "2026-03-01T14:30",
            "answer_surfaces": ["wall", "sign"],
        },
    )
    assert response["Location"] == reverse("web:report-about-you")
    client.post(reverse("web:report-about-you"), {"show_name": "anonymous"})
    body = text(client.get(reverse("web:report-check")))
    assert "A wall, A road sign" in body
    assert "2026-03-01 at 14:30" in body
    client.post(reverse("web:report-check"))
    created = Request.private_objects.get()
    assert created.answers["size"] == "2.5"
    assert created.answers["surfaces"] == ["wall", "sign"]
    assert created.answers["seen"].startswith("2026-03-01T14:30")
    assert created.answers["where"] == "Under the bridge"
    assert created.body == graffiti.routing_rules.get().body
