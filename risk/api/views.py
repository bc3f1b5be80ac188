"""Risk API: thin views over risk services and selectors.

Permissions are enforced in the services (``PermissionRefused`` → 403), the same checks
admin goes through; the views only add "signed in" and shape input and output.
"""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common import clock
from common.api_permissions import HoldsAnyPermission
from common.numeric import DecimalJSONParser
from common.request_context import request_id_of, request_user
from common.second_factor import SecondFactorVerified
from risk import services
from risk.api.serializers import (
    ChangeOutcomeSerializer,
    ChangeRequestSerializer,
    EngageOutputSerializer,
    KillSwitchCommandSerializer,
    KillSwitchSerializer,
    LimitChangeInputSerializer,
    ReasonSerializer,
    RiskActionSerializer,
    RiskDecisionSerializer,
    RiskLimitSerializer,
    RiskStateSerializer,
    RiskTripSerializer,
    TemporaryLimitOverrideSerializer,
    TradingStateInputSerializer,
)
from risk.choices import ChangeRequestStatus
from risk.models import (
    ChangeRequest,
    RestrictedInstrument,
    RiskAction,
    RiskDecision,
    RiskLimit,
    RiskTrip,
    TemporaryLimitOverride,
    TradingStateSetting,
)
from risk.selectors import kill_switch_get


class CanViewRiskRecords(permissions.DjangoModelPermissions):
    """Reading needs the model's view permission, as in admin (roles: every risk group)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class KillSwitchView(APIView):
    @extend_schema(responses=KillSwitchSerializer)
    def get(self, request: Request) -> Response:
        return Response(KillSwitchSerializer(kill_switch_get()).data)


class KillSwitchEngageView(APIView):
    """Engage the global kill switch: every new order is rejected from the next check on,
    and every open order is cancelled."""

    permission_classes = [permissions.IsAuthenticated, HoldsAnyPermission]
    required_permissions = ("risk.operate_killswitch",)

    @extend_schema(request=KillSwitchCommandSerializer, responses=EngageOutputSerializer)
    def post(self, request: Request) -> Response:
        command = KillSwitchCommandSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        switch = services.kill_switch_engage(
            actor=request_user(request),
            reason=command.validated_data["reason"],
            request_id=request_id_of(request),
        )
        return Response(EngageOutputSerializer(switch).data)


class KillSwitchReleaseView(APIView):
    """Request the release of the kill switch; a risk officer other than the requester
    approves it at ``change-requests/{id}/approve/`` (four-eyes)."""

    permission_classes = [permissions.IsAuthenticated, HoldsAnyPermission, SecondFactorVerified]
    required_permissions = ("risk.operate_killswitch", "risk.approve_change")

    @extend_schema(request=KillSwitchCommandSerializer, responses={202: ChangeRequestSerializer})
    def post(self, request: Request) -> Response:
        command = KillSwitchCommandSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        change = services.kill_switch_release_request(
            actor=request_user(request),
            reason=command.validated_data["reason"],
            request_id=request_id_of(request),
        )
        return Response(ChangeRequestSerializer(change).data, status=status.HTTP_202_ACCEPTED)


class RiskStateView(APIView):
    """The kill switch, every non-default trading state, active overrides, restrictions."""

    permission_classes = [permissions.IsAuthenticated, HoldsAnyPermission]
    required_permissions = ("risk.view_tradingstatesetting",)

    @extend_schema(responses=RiskStateSerializer)
    def get(self, request: Request) -> Response:
        now = clock.now()
        state = {
            "kill_switch": kill_switch_get(),
            "states": TradingStateSetting.objects.all(),
            "active_overrides": TemporaryLimitOverride.objects.filter(
                expires_at__gt=now, reverted_at__isnull=True
            ),
            "restricted_symbols": list(
                RestrictedInstrument.objects.values_list("symbol", flat=True)
            ),
            "pending_change_requests": ChangeRequest.objects.filter(
                status=ChangeRequestStatus.PENDING, expires_at__gt=now
            ).count(),
        }
        return Response(RiskStateSerializer(state).data)


def _outcome_response(outcome: services.ChangeOutcome) -> Response:
    code = status.HTTP_200_OK if outcome.applied else status.HTTP_202_ACCEPTED
    return Response(ChangeOutcomeSerializer(outcome).data, status=code)


class LimitChangeView(APIView):
    """Change a limit (permanently, or until ``expires_at`` / for ``duration_minutes``).
    Tightening applies at once (200); loosening returns a pending change request (202)."""

    permission_classes = [permissions.IsAuthenticated, HoldsAnyPermission, SecondFactorVerified]
    required_permissions = ("risk.request_change",)
    parser_classes = [DecimalJSONParser, FormParser, MultiPartParser]

    @extend_schema(request=LimitChangeInputSerializer, responses=ChangeOutcomeSerializer)
    def post(self, request: Request) -> Response:
        data = LimitChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        expires_at = values["expires_at"]
        if values["duration_minutes"]:
            expires_at = clock.now() + timedelta(minutes=values["duration_minutes"])
        outcome = services.limit_change_request(
            actor=request_user(request),
            scope=values["scope"],
            key=values["key"],
            field=values["field"],
            value=values["value"],
            reason=values["reason"],
            request_id=request_id_of(request),
            expires_at=expires_at,
        )
        return _outcome_response(outcome)


class TradingStateChangeView(APIView):
    """Set a scope's trading state: tightening at once (200), loosening by request (202)."""

    permission_classes = [permissions.IsAuthenticated, HoldsAnyPermission]
    required_permissions = ("risk.request_change",)

    @extend_schema(request=TradingStateInputSerializer, responses=ChangeOutcomeSerializer)
    def post(self, request: Request) -> Response:
        data = TradingStateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.trading_state_set(
            actor=request_user(request), request_id=request_id_of(request), **data.validated_data
        )
        return _outcome_response(outcome)


class ChangeRequestViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, CanViewRiskRecords]
    queryset = ChangeRequest.objects.all()
    serializer_class = ChangeRequestSerializer
    filterset_fields = ["status", "kind"]


class _ChangeRequestDecision(APIView):
    service = staticmethod(services.change_request_approve)
    permission_classes = [permissions.IsAuthenticated, HoldsAnyPermission]
    # The requester may withdraw their own request; the service checks which request is whose.
    required_permissions: tuple[str, ...] = (
        "risk.approve_change",
        "risk.request_change",
        "risk.operate_killswitch",
    )

    @extend_schema(request=ReasonSerializer, responses=ChangeRequestSerializer)
    def post(self, request: Request, pk: int) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = self.service(
            actor=request_user(request),
            change_request_id=pk,
            reason=data.validated_data["reason"],
            request_id=request_id_of(request),
        )
        return Response(ChangeRequestSerializer(change).data)


class ChangeRequestApproveView(_ChangeRequestDecision):
    """Approve and apply a pending request (risk officer, not the requester)."""

    service = staticmethod(services.change_request_approve)
    permission_classes = [permissions.IsAuthenticated, HoldsAnyPermission, SecondFactorVerified]
    required_permissions = ("risk.approve_change",)


class ChangeRequestRejectView(_ChangeRequestDecision):
    """Turn a pending request down (risk officer, or the requester withdrawing it)."""

    service = staticmethod(services.change_request_reject)


class RiskDecisionViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, CanViewRiskRecords]
    queryset = RiskDecision.objects.all()
    serializer_class = RiskDecisionSerializer
    filterset_fields = ["approved", "symbol", "strategy", "client_order_id"]


class RiskLimitViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, CanViewRiskRecords]
    queryset = RiskLimit.objects.all()
    serializer_class = RiskLimitSerializer
    filterset_fields = ["strategy", "symbol"]


class TemporaryLimitOverrideViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, CanViewRiskRecords]
    queryset = TemporaryLimitOverride.objects.select_related("created_by")
    serializer_class = TemporaryLimitOverrideSerializer
    filterset_fields = ["scope", "key", "field"]


class RiskTripViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, CanViewRiskRecords]
    queryset = RiskTrip.objects.all()
    serializer_class = RiskTripSerializer
    filterset_fields = ["limit", "action", "scope", "key"]


class RiskActionViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, CanViewRiskRecords]
    queryset = RiskAction.objects.all()
    serializer_class = RiskActionSerializer
    filterset_fields = ["action", "actor_name", "request_id"]
