"""The questionnaire's form: the answer (chosen by the link that opened it) and a comment."""

from __future__ import annotations

from typing import Any

from django import forms

from openlocal.feedback.models import Answer
from openlocal.feedback.services import CHOOSE_QUESTIONNAIRE_ANSWER, COMMENT_MAX_LENGTH

ANSWER_CHOICES = [
    (Answer.FIXED.value, "Yes, it was fixed"),
    (Answer.BROKEN.value, "No, it is not fixed"),
]


class QuestionnaireForm(forms.Form):
    answer = forms.ChoiceField(
        choices=ANSWER_CHOICES,
        error_messages={
            "required": CHOOSE_QUESTIONNAIRE_ANSWER,
            "invalid_choice": CHOOSE_QUESTIONNAIRE_ANSWER,
        },
    )
    comment = forms.CharField(
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        strip=True,
        error_messages={
            "max_length": f"Your comment must be {COMMENT_MAX_LENGTH:,} characters or fewer."
        },
    )

    #: Where each field's error links to in the error summary.
    ANCHORS = {"answer": "#answer", "comment": "#comment"}

    def error_list(self) -> list[dict[str, Any]]:
        """The GOV.UK error summary's items, in the order of the fields."""
        return [
            {"text": str(message), "href": self.ANCHORS.get(name, "#answer")}
            for name in ("answer", "comment", "__all__")
            for message in self.errors.get(name, [])
        ]

    def error_for(self, name: str) -> str:
        errors = self.errors.get(name)
        return str(errors[0]) if errors else ""
