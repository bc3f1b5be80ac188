from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from access.views import otp_verify
from monitoring.views import (
    health,
    health_data,
    health_live,
    health_models,
    health_ready,
    health_risk,
    health_scheduler,
    metrics,
    oncall_dashboard,
)
from operations.runbook_pages import runbook_index, runbook_page

urlpatterns = [
    path("admin/oncall/", oncall_dashboard, name="oncall-dashboard"),
    path("admin/otp/verify/", otp_verify, name="otp-verify"),
    path("admin/", admin.site.urls),
    path("health/live", health_live, name="health-live"),
    path("health/ready", health_ready, name="health-ready"),
    path("health/scheduler", health_scheduler, name="health-scheduler"),
    path("health/data", health_data, name="health-data"),
    path("health/risk", health_risk, name="health-risk"),
    path("health/models", health_models, name="health-models"),
    path("health", health, name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/marketdata/", include("marketdata.api.urls")),
    path("api/v1/models/", include("models_registry.api.urls")),
    path("api/v1/risk/", include("risk.api.urls")),
    path("api/v1/execution/", include("execution.api.urls")),
    path("api/v1/operations/", include("operations.api.urls")),
    path("metrics", metrics, name="prometheus-metrics"),
    path("runbooks/", runbook_index, name="runbook-index"),
    path("runbooks/<slug:slug>/", runbook_page, name="runbook-page"),
]
