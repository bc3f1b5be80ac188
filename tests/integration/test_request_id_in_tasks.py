"""One request ID follows an action from the web request into the task it starts."""

from __future__ import annotations

import pytest
from celery.result import AsyncResult
from django.contrib.auth.models import Permission

from operations.schedule import periodic_tasks_setup

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
RUN = "/api/v1/operations/periodic-tasks/run/"


@pytest.fixture
def scheduler_operator(operator):
    operator.user_permissions.add(Permission.objects.get(codename="change_periodictask"))
    return type(operator).objects.get(pk=operator.pk)


def test_the_request_id_of_run_now_appears_in_the_tasks_log_lines(
    api_client, scheduler_operator, history, worker, log_output
):
    periodic_tasks_setup()
    api_client.force_authenticate(scheduler_operator)

    response = api_client.post(RUN, {"name": "ingest-bars"}, format="json")

    assert response.status_code == 202
    request_id = response["X-Request-ID"]
    assert response.json()["request_id"] == request_id
    AsyncResult(response.json()["task_id"]).get(timeout=60)
    task_lines = [line for line in log_output.getvalue().splitlines() if "bars_ingested" in line]
    assert task_lines, "the task logged nothing"
    assert all(request_id in line for line in task_lines)


def test_an_unknown_periodic_task_is_a_404_with_its_name(api_client, scheduler_operator):
    api_client.force_authenticate(scheduler_operator)

    response = api_client.post(RUN, {"name": "nope"}, format="json")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "Unknown periodic task 'nope'",
        "request_id": response["X-Request-ID"],
    }


def test_running_a_task_needs_the_permission(api_client, outsider):
    periodic_tasks_setup()
    api_client.force_authenticate(outsider)

    assert api_client.post(RUN, {"name": "ingest-bars"}, format="json").status_code == 403
