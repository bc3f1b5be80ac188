from __future__ import annotations

import hashlib

import django_filters
from django.conf import settings
from django.core.cache import cache
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_permissions import HoldsAnyPermission
from common.request_context import request_id_of, request_user
from common.second_factor import SecondFactorVerified
from models_registry.api.serializers import (
    AliasCommandSerializer,
    ApprovalSerializer,
    BlockedSerializer,
    GateSerializer,
    ModelReasonSerializer,
    ModelStatusSerializer,
    ModelVersionDetailSerializer,
    ModelVersionSerializer,
    PromotionResultSerializer,
    RollbackCommandSerializer,
    SignalSerializer,
)
from models_registry.models import ModelVersion, Signal
from models_registry.selectors import (
    model_version_by_number,
    model_version_list,
    models_status,
    registered_model_for_strategy,
    status_fingerprint,
)
from models_registry.services import (
    PromotionBlocked,
    model_version_alias_set,
    model_version_approve,
    model_version_promote,
    model_version_rollback,
    promotion_gates,
)

STATUS_CACHE_SECONDS = 300


PROMOTE = ("models_registry.promote_model",)
APPROVE = ("models_registry.approve_promotion",)


class ModelVersionFilter(django_filters.FilterSet):
    model = django_filters.CharFilter(field_name="registered_model__name")
    alias = django_filters.CharFilter(field_name="aliases__alias")
    archived = django_filters.BooleanFilter(
        field_name="archived_at", lookup_expr="isnull", exclude=True
    )
    dataset_sha256 = django_filters.CharFilter(
        field_name="training_run__dataset_snapshot__content_sha256"
    )

    class Meta:
        model = ModelVersion
        fields = ["model", "alias", "archived", "ever_champion", "algorithm", "dataset_sha256"]


class ModelVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Model versions with lineage; POST actions approve, promote and set aliases."""

    queryset = model_version_list()
    filterset_class = ModelVersionFilter
    # Each POST action names its own (HoldsAnyPermission); reading needs only a login.
    required_permissions: tuple[str, ...] = ()

    def get_serializer_class(self) -> type:
        return ModelVersionDetailSerializer if self.action == "retrieve" else ModelVersionSerializer

    @extend_schema(responses=GateSerializer(many=True))
    @action(detail=True, methods=["get"])
    def gates(self, request: Request, pk: str | None = None) -> Response:
        """Every promotion gate's verdict on this version now (changes nothing)."""
        results = promotion_gates(model_version=self.get_object())
        return Response(GateSerializer([r.as_dict() for r in results], many=True).data)

    @extend_schema(
        request=ModelReasonSerializer,
        responses={200: PromotionResultSerializer, 409: BlockedSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated, HoldsAnyPermission],
        required_permissions=PROMOTE,
    )
    def promote(self, request: Request, pk: str | None = None) -> Response:
        """Make this version champion if every gate passes; 409 lists the failing gates."""
        command = ModelReasonSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        version = self.get_object()
        try:
            model_version_promote(
                model_version=version,
                actor=request_user(request),
                reason=command.validated_data["reason"],
                request_id=request_id_of(request),
            )
        except PromotionBlocked as blocked:
            gates = [g.as_dict() for g in blocked.gates]
            return Response(
                {"detail": str(blocked), "gates": gates}, status=status.HTTP_409_CONFLICT
            )
        version = model_version_list().get(pk=version.pk)
        return Response({"model_version": ModelVersionSerializer(version).data, "gates": []})

    @extend_schema(request=ModelReasonSerializer, responses=ApprovalSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated, HoldsAnyPermission, SecondFactorVerified],
        required_permissions=APPROVE,
    )
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Four-eyes approval by someone who did not train the version."""
        command = ModelReasonSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        approval = model_version_approve(
            model_version=self.get_object(),
            actor=request_user(request),
            reason=command.validated_data["reason"],
            request_id=request_id_of(request),
        )
        return Response(ApprovalSerializer(approval).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AliasCommandSerializer, responses=ModelVersionSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated, HoldsAnyPermission],
        required_permissions=PROMOTE,
    )
    def alias(self, request: Request, pk: str | None = None) -> Response:
        """Make this version its model's challenger or shadow."""
        command = AliasCommandSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        version = self.get_object()
        model_version_alias_set(
            model_version=version,
            alias=command.validated_data["alias"],
            actor=request_user(request),
            reason=command.validated_data["reason"],
            request_id=request_id_of(request),
        )
        return Response(ModelVersionSerializer(model_version_list().get(pk=version.pk)).data)


class RollbackView(APIView):
    """Restore a strategy's previous champion (or a named earlier champion) in one step."""

    permission_classes = [permissions.IsAuthenticated, HoldsAnyPermission]
    required_permissions = PROMOTE

    @extend_schema(request=RollbackCommandSerializer, responses=ModelVersionSerializer)
    def post(self, request: Request) -> Response:
        command = RollbackCommandSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        registered = registered_model_for_strategy(name=command.validated_data["strategy"])
        number = command.validated_data.get("to_version")
        target = (
            model_version_by_number(registered_model=registered, version=number) if number else None
        )
        restored = model_version_rollback(
            registered_model=registered,
            to_version=target,
            actor=request_user(request),
            reason=command.validated_data["reason"],
            request_id=request_id_of(request),
        )
        return Response(ModelVersionSerializer(model_version_list().get(pk=restored.pk)).data)


class ModelStatusView(APIView):
    """Per model and its strategies: champion, challenger and shadow with health at a glance.

    Polling is cheap: the ETag is a fingerprint of everything shown, so If-None-Match with
    an unchanged fingerprint answers 304 without building the body.
    """

    @extend_schema(
        responses={
            200: ModelStatusSerializer(many=True),
            304: OpenApiResponse(description="unchanged"),
        }
    )
    def get(self, request: Request) -> Response:
        etag = '"' + hashlib.sha256(status_fingerprint().encode()).hexdigest()[:32] + '"'
        if etag in request.headers.get("If-None-Match", ""):
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            key = f"models_status:{etag}"
            body = cache.get(key)
            if body is None:
                body = models_status(live_window=settings.MODELS_LIVE_SIGNAL_WINDOW)
                cache.set(key, body, STATUS_CACHE_SECONDS)
            response = Response(body)
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response


class SignalViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Signal.objects.select_related("instrument", "model_version__registered_model")
    serializer_class = SignalSerializer
    filterset_fields = ["instrument__symbol", "direction", "shadow"]
