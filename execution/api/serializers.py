from rest_framework import serializers

from execution.models import Order, Position


class OrderSerializer(serializers.ModelSerializer):
    strategy = serializers.CharField(source="strategy.name", read_only=True)
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "client_order_id",
            "strategy",
            "symbol",
            "side",
            "order_type",
            "quantity",
            "reference_price",
            "bar_timestamp",
            "status",
            "broker",
            "broker_order_id",
            "reject_reason",
            "filled_quantity",
            "average_fill_price",
            "submitted_at",
            "filled_at",
        ]


class PositionSerializer(serializers.ModelSerializer):
    strategy = serializers.CharField(source="strategy.name", read_only=True)
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)

    class Meta:
        model = Position
        fields = [
            "id",
            "strategy",
            "symbol",
            "quantity",
            "average_price",
            "realized_pnl",
            "mark_price",
            "unrealized_pnl",
            "marked_at",
        ]
