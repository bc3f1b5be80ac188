from django.urls import path
from rest_framework.routers import DefaultRouter

from models_registry.api.views import (
    ModelStatusView,
    ModelVersionViewSet,
    RollbackView,
    SignalViewSet,
)

router = DefaultRouter()
router.register("versions", ModelVersionViewSet)
router.register("signals", SignalViewSet)
urlpatterns = [
    path("status", ModelStatusView.as_view(), name="models-status"),
    path("rollback", RollbackView.as_view(), name="models-rollback"),
    *router.urls,
]
