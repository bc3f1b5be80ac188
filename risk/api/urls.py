from django.urls import path
from rest_framework.routers import DefaultRouter

from risk.api import views

router = DefaultRouter()
router.register("decisions", views.RiskDecisionViewSet)
router.register("limits", views.RiskLimitViewSet)
router.register("overrides", views.TemporaryLimitOverrideViewSet)
router.register("change-requests", views.ChangeRequestViewSet)
router.register("trips", views.RiskTripViewSet)
router.register("actions", views.RiskActionViewSet)
urlpatterns = [
    path("state/", views.RiskStateView.as_view(), name="risk-state"),
    path("kill-switch/", views.KillSwitchView.as_view(), name="risk-kill-switch"),
    path(
        "kill-switch/engage/",
        views.KillSwitchEngageView.as_view(),
        name="risk-kill-switch-engage",
    ),
    path(
        "kill-switch/release/",
        views.KillSwitchReleaseView.as_view(),
        name="risk-kill-switch-release",
    ),
    path("limits/change/", views.LimitChangeView.as_view(), name="risk-limit-change"),
    path("states/change/", views.TradingStateChangeView.as_view(), name="risk-state-change"),
    path(
        "change-requests/<int:pk>/approve/",
        views.ChangeRequestApproveView.as_view(),
        name="risk-change-request-approve",
    ),
    path(
        "change-requests/<int:pk>/reject/",
        views.ChangeRequestRejectView.as_view(),
        name="risk-change-request-reject",
    ),
    *router.urls,
]
