from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join

from common.admin import ReadOnlyAdmin, reason_confirm
from common.request_context import request_id_of, request_user
from common.second_factor import SecondFactorAdminMixin
from models_registry.choices import Alias, PromotionAction
from models_registry.models import (
    DatasetSnapshot,
    DriftReport,
    FeatureSet,
    ModelAlias,
    ModelVersion,
    PromotionApproval,
    PromotionEvent,
    RegisteredModel,
    Signal,
    TrainingRun,
)
from models_registry.services import (
    model_version_alias_set,
    model_version_approve,
    model_version_promote,
    model_version_rollback,
)

PROMOTE = "models_registry.promote_model"
APPROVE = "models_registry.approve_promotion"


@admin.register(RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):
    list_display = ["name", "champion", "description", "created_at"]
    search_fields = ["name"]
    actions = ["rollback_champion"]

    @admin.display(description="champion")
    def champion(self, obj: RegisteredModel) -> str:
        row = obj.aliases.filter(alias=Alias.CHAMPION).select_related("model_version").first()
        return f"v{row.model_version.version}" if row else "-"

    @admin.action(description="Roll back the champion to the previous one", permissions=["promote"])
    def rollback_champion(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        def apply(request: HttpRequest, registered: RegisteredModel, reason: str) -> str:
            restored = model_version_rollback(
                registered_model=registered,
                actor=request_user(request),
                reason=reason,
                request_id=request_id_of(request),
            )
            return f"{restored} is champion again"

        return reason_confirm(
            self,
            request,
            queryset,
            title="Roll back champion",
            explanation="Restores the previous champion; workers use it from their next cycle.",
            apply=apply,
        )

    def has_promote_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PROMOTE)


@admin.register(ModelVersion)
class ModelVersionAdmin(SecondFactorAdminMixin, ReadOnlyAdmin):
    list_display = [
        "__str__",
        "algorithm",
        "roles",
        "ever_champion",
        "auc",
        "accuracy",
        "backtest_drawdown",
        "archived_at",
        "created_at",
    ]
    list_filter = ["registered_model", "ever_champion", "aliases__alias", "algorithm"]
    list_select_related = ["registered_model"]
    search_fields = ["registered_model__name", "artifact_sha256"]
    readonly_fields = ["model_card"]
    fields = ["model_card"]
    actions = ["approve", "promote", "make_shadow", "make_challenger"]
    second_factor_actions = frozenset({"approve"})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("aliases")

    @admin.display(description="aliases")
    def roles(self, obj: ModelVersion) -> str:
        return ", ".join(sorted(a.alias for a in obj.aliases.all())) or "-"

    @admin.display(description="hold-out AUC")
    def auc(self, obj: ModelVersion) -> str:
        return _fmt(obj.metrics.get("roc_auc"))

    @admin.display(description="hold-out accuracy")
    def accuracy(self, obj: ModelVersion) -> str:
        return _fmt(obj.metrics.get("accuracy"))

    @admin.display(description="backtest max drawdown")
    def backtest_drawdown(self, obj: ModelVersion) -> str:
        return _fmt(obj.metrics.get("backtest_max_drawdown"))

    @admin.display(description="model card")
    def model_card(self, obj: ModelVersion) -> str:
        return model_card_html(obj)

    def has_promote_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PROMOTE)

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(APPROVE)

    # Admin lists actions only if the user may change; actions here check their own perms.
    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None and (request.user.has_perm(PROMOTE) or request.user.has_perm(APPROVE))

    @admin.action(description="Approve for promotion (four eyes)", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        def apply(request: HttpRequest, version: ModelVersion, reason: str) -> str:
            model_version_approve(
                model_version=version,
                actor=request_user(request),
                reason=reason,
                request_id=request_id_of(request),
            )
            return f"{version} approved"

        return reason_confirm(self, request, queryset, title="Approve", apply=apply)

    @admin.action(description="Promote to champion (through the gates)", permissions=["promote"])
    def promote(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        def apply(request: HttpRequest, version: ModelVersion, reason: str) -> str:
            model_version_promote(
                model_version=version,
                actor=request_user(request),
                reason=reason,
                request_id=request_id_of(request),
            )
            return f"{version} is champion"

        return reason_confirm(
            self,
            request,
            queryset,
            title="Promote to champion",
            explanation="Every gate must pass; a blocked promotion lists the failing gates.",
            apply=apply,
        )

    def _alias_action(
        self, request: HttpRequest, queryset: QuerySet, alias: str
    ) -> HttpResponse | None:
        def apply(request: HttpRequest, version: ModelVersion, reason: str) -> str:
            model_version_alias_set(
                model_version=version,
                alias=alias,
                actor=request_user(request),
                reason=reason,
                request_id=request_id_of(request),
            )
            return f"{version} is {alias}"

        return reason_confirm(self, request, queryset, title=f"Make {alias}", apply=apply)

    @admin.action(description="Make shadow (predicts, never trades)", permissions=["promote"])
    def make_shadow(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._alias_action(request, queryset, Alias.SHADOW)

    @admin.action(description="Make challenger", permissions=["promote"])
    def make_challenger(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._alias_action(request, queryset, Alias.CHALLENGER)


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else "-"


def _rows(pairs: Sequence[tuple[str, object]]) -> str:
    return format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", pairs)


def model_card_html(version: ModelVersion) -> str:
    """Intended use, data, metrics, gates passed and limitations of one version."""
    run = version.training_run
    snapshot = run.dataset_snapshot if run else None
    last_gates = (
        PromotionEvent.objects.filter(
            model_version=version, action__in=[PromotionAction.PROMOTE, PromotionAction.BLOCKED]
        )
        .exclude(gates=[])
        .first()
    )
    gates = last_gates.gates if last_gates else []
    data = [
        ("dataset sha256", snapshot.content_sha256 if snapshot else "no lineage (pre-registry)"),
        ("symbols / timeframe", f"{', '.join(version.training_symbols)} / {version.timeframe}"),
        ("train", f"{version.train_start:%Y-%m-%d %H:%M} → {version.train_end:%Y-%m-%d %H:%M}"),
        (
            "hold-out",
            f"{version.holdout_start:%Y-%m-%d %H:%M} → {version.holdout_end:%Y-%m-%d %H:%M}",
        ),
        ("rows train / hold-out", f"{version.train_rows} / {version.holdout_rows}"),
        ("feature set", str(snapshot.feature_set) if snapshot else "-"),
        ("code version", run.code_version if run else "-"),
        ("trained by", run.triggered_by_name if run else "-"),
        ("artifact sha256", version.artifact_sha256),
    ]
    metrics = [(key, _fmt(value)) for key, value in sorted(version.metrics.items())]
    if run and run.metrics.get("champion_holdout"):
        champion = run.metrics["champion_holdout"]
        metrics.append(("champion on same hold-out (AUC)", _fmt(champion.get("roc_auc"))))
    gate_rows = [
        (g["name"], f"{'pass' if g['passed'] else 'FAIL'}: {g['value']!r} vs {g['threshold']!r}")
        for g in gates
    ] or [("gates", "not judged yet")]
    return format_html(
        "<h3>Intended use</h3><p>Next-bar direction of {} on {} bars, traded long/flat by its "
        "strategies only while it is champion.</p>"
        "<h3>Data</h3><table>{}</table><h3>Hold-out metrics</h3><table>{}</table>"
        "<h3>Gates (last judged)</h3><table>{}</table>"
        "<h3>Limitations</h3><p>Linear model on six price features; no costs beyond a flat "
        "{} bps in the backtest; trained on a single regime of {} rows; live behaviour is "
        "shown by drift reports and shadow scoring, not by this card.</p>",
        ", ".join(version.training_symbols),
        version.timeframe,
        _rows(data),
        _rows(metrics),
        _rows(gate_rows),
        settings.MODELS_BACKTEST_COST_BPS,
        version.train_rows,
    )


@admin.register(ModelAlias)
class ModelAliasAdmin(ReadOnlyAdmin):
    list_display = ["registered_model", "alias", "model_version", "assigned_at"]
    list_filter = ["alias", "registered_model"]
    list_select_related = ["registered_model", "model_version__registered_model"]


@admin.register(PromotionEvent)
class PromotionEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "registered_model",
        "action",
        "alias",
        "model_version",
        "previous_version",
        "actor_name",
        "reason",
        "request_id",
    ]
    list_filter = ["action", "alias", "registered_model"]
    list_select_related = [
        "registered_model",
        "model_version__registered_model",
        "previous_version__registered_model",
    ]
    search_fields = ["actor_name", "reason", "request_id"]
    date_hierarchy = "created_at"


@admin.register(PromotionApproval)
class PromotionApprovalAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "model_version", "approved_by_name", "reason", "request_id"]
    list_select_related = ["model_version__registered_model"]


@admin.register(FeatureSet)
class FeatureSetAdmin(ReadOnlyAdmin):
    list_display = ["name", "version", "code_hash", "created_at"]


@admin.register(DatasetSnapshot)
class DatasetSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["content_sha256", "feature_set", "timeframe", "start", "end", "row_count"]
    list_select_related = ["feature_set"]
    search_fields = ["content_sha256"]


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "registered_model",
        "family",
        "status",
        "duration_seconds",
        "triggered_by_name",
        "code_version",
    ]
    list_filter = ["status", "registered_model"]
    list_select_related = ["registered_model"]
    raw_id_fields = ["dataset_snapshot", "feature_set"]


@admin.register(DriftReport)
class DriftReportAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "model_version",
        "status",
        "drift_share",
        "live_hit_rate",
        "holdout_hit_rate",
        "drifted_features",
    ]
    list_filter = ["status", "registered_model"]
    list_select_related = ["model_version__registered_model"]
    date_hierarchy = "created_at"

    @admin.display(description="drifted features")
    def drifted_features(self, obj: DriftReport) -> str:
        return ", ".join(f["column"] for f in obj.features if f.get("drifted")) or "-"


@admin.register(Signal)
class SignalAdmin(ReadOnlyAdmin):
    list_display = [
        "bar_timestamp",
        "instrument",
        "model_version",
        "shadow",
        "direction",
        "confidence",
        "reference_price",
    ]
    list_filter = ["shadow", "direction", "instrument", "model_version__registered_model"]
    list_select_related = ["instrument", "model_version__registered_model"]
    search_fields = ["instrument__symbol"]
    date_hierarchy = "bar_timestamp"
