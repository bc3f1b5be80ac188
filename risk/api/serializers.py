from rest_framework import serializers

from risk.models import KillSwitch, RiskDecision


class KillSwitchSerializer(serializers.ModelSerializer):
    changed_by = serializers.StringRelatedField()

    class Meta:
        model = KillSwitch
        fields = ["engaged", "kill_switch_engaged_at", "changed_by", "reason", "updated_at"]


class KillSwitchCommandSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=False, trim_whitespace=True)


class RiskDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskDecision
        fields = [
            "id",
            "client_order_id",
            "strategy",
            "symbol",
            "side",
            "quantity",
            "reference_price",
            "notional",
            "approved",
            "reasons",
            "utilisation",
            "request_id",
            "decided_at",
        ]
