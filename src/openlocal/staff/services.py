"""Writes to what staff keep for their own work: saved queue views and response templates.

Changes to requests themselves are in :mod:`openlocal.requests.services` and
:mod:`openlocal.requests.workflow`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from openlocal.core.models import AuditEntry
from openlocal.places.models import Body, Role
from openlocal.places.permissions import has_role, require_role
from openlocal.requests.models import Category, Status
from openlocal.staff.models import ResponseTemplate, SavedView

#: Who may create, change and delete a body's response templates.
TEMPLATE_ROLE = Role.MANAGER


@transaction.atomic
def saved_view_create(
    *, owner: Any, name: str, query: str, shared_with: Body | None = None
) -> SavedView:
    """Keep the queue's filters under a name; shared with a body, its staff see it too.

    Only a member of a body's staff may share a view with it.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Enter a name for the view"]})
    if shared_with is not None and not has_role(owner, shared_with, Role.VIEWER):
        raise PermissionDenied(f"Only staff of {shared_with.name} can share views with them.")
    if SavedView.objects.filter(owner=owner, name=name).exists():
        raise ValidationError(
            {"name": [f"You already have a view called “{name}”. Choose another name."]}
        )
    return SavedView.objects.create(owner=owner, name=name, query=query, shared_with=shared_with)


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor: Any) -> None:
    """Delete a saved view: only its owner may, even when it is shared."""
    if view.owner_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only the person who saved a view can delete it.")
    view.delete()


def _clean_template(
    *, body: Body, category: Category | None, status: str, title: str, text: str
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = ["Enter a title, so staff can tell templates apart"]
    if not text.strip():
        errors["text"] = ["Enter the message"]
    if status and (status not in Status.values or status == Status.DUPLICATE):
        errors["status"] = ["Select one of the statuses listed"]
    if errors:
        raise ValidationError(errors)
    return {
        "body": body,
        "category": category,
        "status": status,
        "title": title.strip()[:120],
        "text": text.strip(),
    }


def _audit(actor: Any, action: str, template: ResponseTemplate, **data: Any) -> None:
    AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=ResponseTemplate._meta.label_lower,
        target_id=str(template.pk),
        data=data,
    )


@transaction.atomic
def response_template_create(
    *,
    actor: Any,
    body: Body,
    title: str,
    text: str,
    category: Category | None = None,
    status: str = "",
) -> ResponseTemplate:
    """A new template for the body's staff (managers and administrators of the body)."""
    require_role(actor, body, TEMPLATE_ROLE)
    fields = _clean_template(body=body, category=category, status=status, title=title, text=text)
    template = ResponseTemplate.objects.create(**fields)
    _audit(actor, "template.create", template, title=template.title)
    return template


@transaction.atomic
def response_template_update(
    *,
    template: ResponseTemplate,
    actor: Any,
    body: Body,
    title: str,
    text: str,
    category: Category | None = None,
    status: str = "",
) -> ResponseTemplate:
    """Change a template; moving it to another body needs the role at both."""
    require_role(actor, template.body, TEMPLATE_ROLE)
    require_role(actor, body, TEMPLATE_ROLE)
    fields = _clean_template(body=body, category=category, status=status, title=title, text=text)
    original = {"title": template.title, "text": template.text}
    for name, value in fields.items():
        setattr(template, name, value)
    template.save()
    _audit(actor, "template.update", template, original=original)
    return template


@transaction.atomic
def response_template_delete(*, template: ResponseTemplate, actor: Any) -> None:
    require_role(actor, template.body, TEMPLATE_ROLE)
    _audit(
        actor,
        "template.delete",
        template,
        original={"title": template.title, "text": template.text},
    )
    template.delete()
