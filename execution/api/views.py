from rest_framework import viewsets

from execution.api.serializers import OrderSerializer, PositionSerializer
from execution.models import Order, Position


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Order.objects.select_related("strategy", "instrument")
    serializer_class = OrderSerializer
    filterset_fields = ["status", "side", "strategy__name", "instrument__symbol"]


class PositionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Position.objects.select_related("strategy", "instrument")
    serializer_class = PositionSerializer
    filterset_fields = ["strategy__name", "instrument__symbol"]
