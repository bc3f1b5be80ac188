"""A URLconf whose API views fail in the ways a deployment has seen, for the JSON error tests."""

from __future__ import annotations

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class IntegrityView(APIView):
    permission_classes: list = []

    def post(self, request: Request) -> Response:
        raise IntegrityError("CHECK constraint failed: risk_limit_price_collar_bps_positive")


class CrashView(APIView):
    permission_classes: list = []

    def get(self, request: Request) -> Response:
        raise RuntimeError("unexpected")


def plain_crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a plain Django view under /api/")


urlpatterns = [
    path("api/v1/test/integrity/", IntegrityView.as_view()),
    path("api/v1/test/crash/", CrashView.as_view()),
    path("api/v1/test/plain/", plain_crash),
    path("", include("tradingops.urls")),
]
