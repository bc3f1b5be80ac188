from rest_framework import viewsets

from models_registry.api.serializers import ModelVersionSerializer, SignalSerializer
from models_registry.models import ModelVersion, Signal


class ModelVersionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ModelVersion.objects.select_related("registered_model")
    serializer_class = ModelVersionSerializer
    filterset_fields = ["registered_model__name", "is_champion"]


class SignalViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Signal.objects.select_related("instrument", "model_version__registered_model")
    serializer_class = SignalSerializer
    filterset_fields = ["instrument__symbol", "direction"]
