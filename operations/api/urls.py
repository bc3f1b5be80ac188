from django.urls import path

from operations.api.views import RunPeriodicTaskView

urlpatterns = [
    path("periodic-tasks/run/", RunPeriodicTaskView.as_view(), name="operations-run-periodic-task"),
]
