"""The signed Yes and No links in a questionnaire email.

Like the subscription links (``openlocal.subscriptions.tokens``), a token is signed with the
site's secret key and a salt of its own, and carries only what it needs: the questionnaire's
id and the answer the link stands for. It expires ``QUESTIONNAIRE_LINK_DAYS`` after the email
was sent. Following a link only opens a page with that answer chosen; sending the page's form
records it (link scanners fetch every link in an email).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing

from openlocal.feedback.models import Answer
from openlocal.subscriptions.tokens import BadToken

_SALT = "openlocal.feedback.questionnaire"

__all__ = ["BadToken", "QuestionnaireLink", "make", "read"]


@dataclass(frozen=True)
class QuestionnaireLink:
    questionnaire_id: int
    answer: str


def max_age() -> timedelta:
    return timedelta(days=settings.QUESTIONNAIRE_LINK_DAYS)


def make(questionnaire_id: int, answer: str) -> str:
    if answer not in Answer.values:
        raise ValueError(f"Unknown answer {answer!r}.")
    return signing.dumps([questionnaire_id, answer], salt=_SALT, compress=False)


def read(token: str) -> QuestionnaireLink:
    """What a link stands for, or :class:`BadToken` saying what is wrong with it."""
    try:
        value = signing.loads(token, salt=_SALT, max_age=max_age())
    except signing.SignatureExpired as exc:
        raise BadToken(
            f"This link has expired: the links in a questionnaire work for "
            f"{settings.QUESTIONNAIRE_LINK_DAYS} days after we send it.",
            expired=True,
        ) from exc
    except signing.BadSignature as exc:
        raise BadToken(
            "This link is not valid. It may have been copied incompletely: try opening it "
            "from the email again, or copy the whole address."
        ) from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or value[1] not in Answer.values
    ):
        raise BadToken("This link is not valid.")
    return QuestionnaireLink(questionnaire_id=value[0], answer=value[1])
