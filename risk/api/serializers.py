from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from common.numeric import NumberRefused, number_parse
from risk.choices import Scope, TradingStateChoice
from risk.models import (
    LIMIT_FIELDS,
    ChangeRequest,
    KillSwitch,
    RiskAction,
    RiskDecision,
    RiskLimit,
    RiskTrip,
    TemporaryLimitOverride,
    TradingStateSetting,
    limit_spec,
)


class KillSwitchSerializer(serializers.ModelSerializer):
    changed_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField(
        allow_null=True
    )  # null until first changed

    class Meta:
        model = KillSwitch
        fields = ["engaged", "kill_switch_engaged_at", "changed_by", "reason", "updated_at"]


class KillSwitchCommandSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=False, trim_whitespace=True)


class ReasonSerializer(KillSwitchCommandSerializer):
    pass


class EngageOutputSerializer(KillSwitchSerializer):
    orders_cancelled = serializers.IntegerField(read_only=True, default=0)

    class Meta(KillSwitchSerializer.Meta):
        fields = [*KillSwitchSerializer.Meta.fields, "orders_cancelled"]


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
            "warnings",
            "utilisation",
            "request_id",
            "decided_at",
        ]


class RiskLimitSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(read_only=True)

    class Meta:
        model = RiskLimit
        fields = ["id", "scope", "strategy", "symbol", *LIMIT_FIELDS, "drawdown_halts"]


class TemporaryLimitOverrideSerializer(serializers.ModelSerializer):
    created_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField(
        allow_null=True
    )

    class Meta:
        model = TemporaryLimitOverride
        fields = [
            "id",
            "scope",
            "key",
            "field",
            "value",
            "expires_at",
            "reverted_at",
            "created_by",
            "reason",
            "request_id",
        ]


class TradingStateSerializer(serializers.ModelSerializer):
    class Meta:
        model = TradingStateSetting
        fields = ["scope", "key", "state", "reason", "cooldown_until", "updated_at"]


class ChangeRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "kind",
            "status",
            "payload",
            "before",
            "requested_by_name",
            "reason",
            "request_id",
            "requested_at",
            "expires_at",
            "decided_by_name",
            "decision_reason",
            "decision_request_id",
            "decided_at",
        ]


class RiskTripSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskTrip
        fields = ["id", "limit", "scope", "key", "value", "threshold", "action", "tripped_at"]


class RiskActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskAction
        fields = [
            "id",
            "action",
            "actor_name",
            "reason",
            "request_id",
            "before",
            "after",
            "created_at",
        ]


class _LimitValueField(serializers.CharField):
    """A CharField that also takes the Decimal a JSON number becomes (DecimalJSONParser)."""

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(str(data) if isinstance(data, Decimal) else data)


class LimitChangeInputSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Scope.choices)
    key = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    field = serializers.ChoiceField(choices=[*LIMIT_FIELDS, "drawdown_halts"])
    # Text or a JSON number, so "25000.50", "" (no limit) and "true"/"false" (drawdown_halts)
    # all arrive; validate() checks a number against the chosen field's column.
    value = _LimitValueField(allow_blank=True, allow_null=True)
    reason = serializers.CharField(max_length=2000, trim_whitespace=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=7 * 24 * 60, default=None
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("expires_at") and attrs.get("duration_minutes"):
            raise serializers.ValidationError("Give expires_at or duration_minutes, not both.")
        if attrs["field"] in LIMIT_FIELDS and attrs["value"] not in (None, ""):
            # The chosen field decides the column, so the value is checked here, not by a field.
            try:
                attrs["value"] = number_parse(attrs["value"], limit_spec(attrs["field"]))
            except NumberRefused as refused:
                raise serializers.ValidationError({"value": [str(refused)]}) from None
        return attrs


class ChangeOutcomeSerializer(serializers.Serializer):
    applied = serializers.BooleanField()
    change_request = ChangeRequestSerializer(allow_null=True)
    before = serializers.DictField()
    after = serializers.DictField()


class TradingStateInputSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Scope.choices)
    key = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    state = serializers.ChoiceField(choices=TradingStateChoice.choices)
    reason = serializers.CharField(max_length=2000, trim_whitespace=True)


class RiskStateSerializer(serializers.Serializer):
    kill_switch = KillSwitchSerializer()
    states = TradingStateSerializer(many=True)
    active_overrides = TemporaryLimitOverrideSerializer(many=True)
    restricted_symbols = serializers.ListField(child=serializers.CharField())
    pending_change_requests = serializers.IntegerField()
