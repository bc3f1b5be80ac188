from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from rest_framework import viewsets

from marketdata.api.serializers import BarSerializer, InstrumentSerializer
from marketdata.models import Bar, Instrument


class InstrumentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Instrument.objects.all()
    serializer_class = InstrumentSerializer
    filterset_fields = ["asset_class", "active", "symbol"]


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment turned to UTC before it reaches the query: ISO allows an offset
    like +23:46, which PostgreSQL refuses (DataError) where SQLite compares text."""

    def to_python(self, value: object) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError(
                "Enter a moment between the years 1 and 9999 in UTC.", code="invalid"
            ) from None


class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class BarFilter(filters.FilterSet):
    symbol = filters.CharFilter(field_name="instrument__symbol")
    since = UtcIsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")

    class Meta:
        model = Bar
        fields = ["symbol", "timeframe", "since", "status"]


class BarViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Bar.objects.select_related("instrument").order_by("-timestamp")
    serializer_class = BarSerializer
    filterset_class = BarFilter
