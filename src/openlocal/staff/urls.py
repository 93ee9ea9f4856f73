"""Staff URLs. Names other code relies on: staff:login, staff:logout, staff:queue,
staff:request."""

from django.urls import path

from openlocal.staff.views import auth, queue, templates, workspace

app_name = "staff"

urlpatterns = [
    path("login", auth.StaffLoginView.as_view(), name="login"),
    path("logout", auth.StaffLogoutView.as_view(), name="logout"),
    path("", queue.queue, name="queue"),
    path("bulk", queue.bulk, name="bulk"),
    path("views", queue.view_save, name="view_save"),
    path("views/<int:pk>/delete", queue.view_delete, name="view_delete"),
    path("templates/", templates.template_list, name="templates"),
    path("templates/new", templates.template_create, name="template_create"),
    path("templates/<int:pk>/edit", templates.template_edit, name="template_edit"),
    path("templates/<int:pk>/delete", templates.template_delete, name="template_delete"),
    path("requests/<int:pk>", workspace.WorkspaceView.as_view(), name="request"),
    path("requests/<int:pk>/status", workspace.StatusAction.as_view(), name="request_status"),
    path("requests/<int:pk>/note", workspace.NoteAction.as_view(), name="request_note"),
    path("requests/<int:pk>/category", workspace.CategoryAction.as_view(), name="request_category"),
    path("requests/<int:pk>/reassign", workspace.ReassignAction.as_view(), name="request_reassign"),
    path("requests/<int:pk>/hide", workspace.HideAction.as_view(), name="request_hide"),
    path("requests/<int:pk>/unhide", workspace.UnhideAction.as_view(), name="request_unhide"),
    path("requests/<int:pk>/redact", workspace.RedactAction.as_view(), name="request_redact"),
    path("requests/<int:pk>/assign", workspace.AssignAction.as_view(), name="request_assign"),
    path("requests/<int:pk>/priority", workspace.PriorityAction.as_view(), name="request_priority"),
    path("requests/<int:pk>/due", workspace.DueAction.as_view(), name="request_due"),
    path("requests/<int:pk>/merge", workspace.MergeView.as_view(), name="request_merge"),
    path("requests/<int:pk>/unmerge", workspace.UnmergeAction.as_view(), name="request_unmerge"),
    path(
        "requests/<int:pk>/photos/<int:photo_pk>/hide",
        workspace.PhotoHideAction.as_view(),
        name="photo_hide",
    ),
    path(
        "requests/<int:pk>/updates/<int:update_pk>/redact",
        workspace.UpdateRedactAction.as_view(),
        name="update_redact",
    ),
]
