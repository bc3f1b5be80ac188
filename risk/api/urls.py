from django.urls import path
from rest_framework.routers import DefaultRouter

from risk.api.views import (
    KillSwitchEngageView,
    KillSwitchReleaseView,
    KillSwitchView,
    RiskDecisionViewSet,
)

router = DefaultRouter()
router.register("decisions", RiskDecisionViewSet)
urlpatterns = [
    path("kill-switch/", KillSwitchView.as_view(), name="risk-kill-switch"),
    path("kill-switch/engage/", KillSwitchEngageView.as_view(), name="risk-kill-switch-engage"),
    path("kill-switch/release/", KillSwitchReleaseView.as_view(), name="risk-kill-switch-release"),
    *router.urls,
]
