from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from risk.api.serializers import (
    KillSwitchCommandSerializer,
    KillSwitchSerializer,
    RiskDecisionSerializer,
)
from risk.models import RiskDecision
from risk.selectors import kill_switch_get
from risk.services import kill_switch_engage, kill_switch_release


class CanOperateKillSwitch(permissions.BasePermission):
    message = "You need the risk.operate_killswitch permission."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.has_perm("risk.operate_killswitch"))


class KillSwitchView(APIView):
    @extend_schema(responses=KillSwitchSerializer)
    def get(self, request: Request) -> Response:
        return Response(KillSwitchSerializer(kill_switch_get()).data)


class _KillSwitchCommand(APIView):
    permission_classes = [permissions.IsAuthenticated, CanOperateKillSwitch]
    service = staticmethod(kill_switch_engage)

    @extend_schema(request=KillSwitchCommandSerializer, responses=KillSwitchSerializer)
    def post(self, request: Request) -> Response:
        command = KillSwitchCommandSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        switch = self.service(
            actor=request.user,
            reason=command.validated_data["reason"],
            request_id=getattr(request._request, "request_id", ""),
        )
        return Response(KillSwitchSerializer(switch).data)


class KillSwitchEngageView(_KillSwitchCommand):
    """Engage the global kill switch: every new order is rejected from the next check on."""

    service = staticmethod(kill_switch_engage)


class KillSwitchReleaseView(_KillSwitchCommand):
    """Release the kill switch."""

    service = staticmethod(kill_switch_release)


class RiskDecisionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RiskDecision.objects.all()
    serializer_class = RiskDecisionSerializer
    filterset_fields = ["approved", "symbol", "strategy", "client_order_id"]
