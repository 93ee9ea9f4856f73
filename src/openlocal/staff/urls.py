"""Staff URLs. Names other code relies on: staff:login, staff:logout, staff:queue,
staff:request."""

from django.urls import path

from openlocal.staff.views import auth, queue, workspace

app_name = "staff"

urlpatterns = [
    path("login", auth.StaffLoginView.as_view(), name="login"),
    path("logout", auth.StaffLogoutView.as_view(), name="logout"),
    path("", queue.queue, name="queue"),
    path("requests/<int:pk>", workspace.WorkspaceView.as_view(), name="request"),
    path("requests/<int:pk>/status", workspace.StatusAction.as_view(), name="request_status"),
    path("requests/<int:pk>/note", workspace.NoteAction.as_view(), name="request_note"),
    path("requests/<int:pk>/category", workspace.CategoryAction.as_view(), name="request_category"),
    path("requests/<int:pk>/reassign", workspace.ReassignAction.as_view(), name="request_reassign"),
    path("requests/<int:pk>/hide", workspace.HideAction.as_view(), name="request_hide"),
    path("requests/<int:pk>/unhide", workspace.UnhideAction.as_view(), name="request_unhide"),
    path("requests/<int:pk>/redact", workspace.RedactAction.as_view(), name="request_redact"),
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
