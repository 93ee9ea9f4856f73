"""URLs of residents' feedback, at the site root.

Names other code relies on: ``feedback:give`` (the request page's buttons post here) and
``feedback:questionnaire`` (the links in questionnaire emails).
"""

from django.urls import path

from openlocal.feedback import views

app_name = "feedback"

urlpatterns = [
    path("requests/<int:pk>/feedback", views.give, name="give"),
    path("questionnaire/<str:token>", views.questionnaire, name="questionnaire"),
]
