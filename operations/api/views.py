from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_permissions import HoldsAnyPermission
from operations.api.serializers import RunPeriodicTaskInput, RunPeriodicTaskOutput
from operations.schedule import periodic_task_run_now


class RunPeriodicTaskView(APIView):
    """Run a periodic task now (ingest, predict-and-trade), outside its schedule."""

    permission_classes = [permissions.IsAuthenticated, HoldsAnyPermission]
    required_permissions = ("django_celery_beat.change_periodictask",)

    @extend_schema(request=RunPeriodicTaskInput, responses={202: RunPeriodicTaskOutput})
    def post(self, request: Request) -> Response:
        command = RunPeriodicTaskInput(data=request.data)
        command.is_valid(raise_exception=True)
        task_id = periodic_task_run_now(name=command.validated_data["name"])
        body = {"task_id": task_id, "request_id": getattr(request._request, "request_id", "")}
        return Response(RunPeriodicTaskOutput(body).data, status=status.HTTP_202_ACCEPTED)
