"""The staff page for API keys, under /staff/api-keys/. Names: apikeys:list,
apikeys:create, apikeys:revoke."""

from django.urls import path

from openlocal.apikeys import views

app_name = "apikeys"

urlpatterns = [
    path("", views.key_list, name="list"),
    path("new", views.key_create, name="create"),
    path("<int:pk>/revoke", views.key_revoke, name="revoke"),
]
