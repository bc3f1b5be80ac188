from rest_framework import serializers

from marketdata.models import Bar, Instrument


class InstrumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instrument
        fields = [
            "id",
            "symbol",
            "name",
            "asset_class",
            "exchange",
            "exchange_timezone",
            "lot_size",
            "active",
            "providers",
            "calendar",
        ]


class BarSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)

    class Meta:
        model = Bar
        fields = [
            "symbol",
            "timeframe",
            "timestamp",
            "open",
            "high",
            "low",
            "close",
            "volume",
            "source",
            "ingested_at",
            "status",
            "quality_reasons",
        ]
