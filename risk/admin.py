from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from common.admin import ReadOnlyAdmin
from common.exceptions import TradingOpsError
from risk.models import KillSwitch, KillSwitchEvent, RiskDecision, RiskLimit
from risk.services import kill_switch_engage, kill_switch_release_request


class KillSwitchForm(forms.ModelForm):
    reason_for_change = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=True,
        help_text=(
            "Why you engage or release the kill switch. Recorded with your name. Unticking "
            "'engaged' files a release request that a risk officer must approve."
        ),
    )

    class Meta:
        model = KillSwitch
        fields = ["engaged"]


@admin.register(KillSwitch)
class KillSwitchAdmin(admin.ModelAdmin):
    """Engage or release from the change form; the change goes through the service, which
    writes the audit event with actor, reason and request ID."""

    form = KillSwitchForm
    list_display = ["__str__", "engaged", "kill_switch_engaged_at", "changed_by", "reason"]
    readonly_fields = ["kill_switch_engaged_at", "changed_by", "reason", "updated_at"]
    fields = [
        "engaged",
        "reason_for_change",
        "kill_switch_engaged_at",
        "changed_by",
        "reason",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.has_perm("risk.operate_killswitch")

    def save_model(
        self, request: HttpRequest, obj: KillSwitch, form: forms.Form, change: bool
    ) -> None:
        engage = form.cleaned_data["engaged"]
        service = kill_switch_engage if engage else kill_switch_release_request
        try:
            service(
                actor=request.user,
                reason=form.cleaned_data["reason_for_change"],
                request_id=getattr(request, "request_id", ""),
            )
        except TradingOpsError as exc:
            messages.error(request, str(exc))
            return
        if not engage:
            messages.info(request, "Release requested: a risk officer must approve it.")


@admin.register(KillSwitchEvent)
class KillSwitchEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor_name", "reason", "request_id"]
    list_filter = ["action"]
    search_fields = ["actor_name", "reason", "request_id"]
    date_hierarchy = "created_at"


@admin.register(RiskLimit)
class RiskLimitAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "strategy",
        "symbol",
        "max_order_notional",
        "max_daily_loss",
        "updated_at",
    ]
    search_fields = ["strategy", "symbol"]


@admin.register(RiskDecision)
class RiskDecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "decided_at",
        "client_order_id",
        "strategy",
        "symbol",
        "side",
        "quantity",
        "notional",
        "approved",
        "reason_codes",
    ]
    list_filter = ["approved", "strategy", "symbol"]
    search_fields = ["client_order_id", "symbol", "request_id"]
    date_hierarchy = "decided_at"

    @admin.display(description="reasons")
    def reason_codes(self, obj: RiskDecision) -> str:
        return ", ".join(reason["code"] for reason in obj.reasons) or "-"
