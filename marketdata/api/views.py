from django_filters import rest_framework as filters
from rest_framework import viewsets

from marketdata.api.serializers import BarSerializer, InstrumentSerializer
from marketdata.models import Bar, Instrument


class InstrumentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Instrument.objects.all()
    serializer_class = InstrumentSerializer
    filterset_fields = ["asset_class", "active", "symbol"]


class BarFilter(filters.FilterSet):
    symbol = filters.CharFilter(field_name="instrument__symbol")
    since = filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")

    class Meta:
        model = Bar
        fields = ["symbol", "timeframe", "since", "status"]


class BarViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Bar.objects.select_related("instrument").order_by("-timestamp")
    serializer_class = BarSerializer
    filterset_class = BarFilter
