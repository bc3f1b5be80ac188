"""Risk admin: every change goes through a risk service with a reason, so admin enforces the
same permissions and four-eyes rules as the API and leaves the same audit rows. Decisions,
events, actions and trips are read-only, for compliance."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from common.admin import ReadOnlyAdmin, reason_action
from common.exceptions import TradingOpsError
from common.numeric import ColumnFormField, NumberRefused, number_parse
from common.request_context import request_id_of, request_user
from common.second_factor import SecondFactorAdminMixin, second_factor_require
from risk import services
from risk.models import (
    LIMIT_FIELDS,
    ChangeRequest,
    EquityPeak,
    KillSwitch,
    KillSwitchEvent,
    RestrictedInstrument,
    RiskAction,
    RiskDecision,
    RiskLimit,
    RiskTrip,
    TemporaryLimitOverride,
    TradingStateSetting,
    limit_spec,
)

REASON_HELP = "Why you make this change. Recorded with your name and the request ID."


def _run(request: HttpRequest, call: Callable[[], Any], done: str) -> Any:
    """Call a service; a refused change shows its message instead of a server error."""
    try:
        result = call()
    except TradingOpsError as exc:
        messages.error(request, str(exc))
        return None
    messages.info(request, done)
    return result


# --- Kill switch ----------------------------------------------------------------------------


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
class KillSwitchAdmin(SecondFactorAdminMixin, admin.ModelAdmin):
    """Engage or request a release from the change form; the change goes through the
    service, which writes the audit event with actor, reason and request ID."""

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
        if not engage:  # engaging never waits for a second factor: stopping must be instant
            second_factor_require(request, "admin:risk.killswitch:release")
        service = services.kill_switch_engage if engage else services.kill_switch_release_request
        done = "Kill switch engaged." if engage else "Release requested: a risk officer approves."
        _run(
            request,
            lambda: service(
                actor=request_user(request),
                reason=form.cleaned_data["reason_for_change"],
                request_id=request_id_of(request),
            ),
            done,
        )


@admin.register(KillSwitchEvent)
class KillSwitchEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor_name", "reason", "request_id"]
    list_filter = ["action"]
    search_fields = ["actor_name", "reason", "request_id"]
    date_hierarchy = "created_at"


# --- Four-eyes requests ---------------------------------------------------------------------


def _change_label(change: ChangeRequest) -> str:
    return (
        f"Change request #{change.pk} ({change.get_kind_display()}, "
        f"requested by {change.requested_by_name})"
    )


def _approve(request: HttpRequest, change: ChangeRequest, reason: str) -> str:
    services.change_request_approve(
        actor=request_user(request),
        change_request_id=change.pk,
        reason=reason,
        request_id=request_id_of(request),
    )
    return f"{_change_label(change)} approved"


def _reject(request: HttpRequest, change: ChangeRequest, reason: str) -> str:
    services.change_request_reject(
        actor=request_user(request),
        change_request_id=change.pk,
        reason=reason,
        request_id=request_id_of(request),
    )
    return f"{_change_label(change)} rejected"


@admin.register(ChangeRequest)
class ChangeRequestAdmin(SecondFactorAdminMixin, ReadOnlyAdmin):
    second_factor_actions = frozenset({"approve_selected_requests"})
    list_display = [
        "requested_at",
        "kind",
        "status",
        "payload",
        "requested_by_name",
        "reason",
        "expires_at",
        "decided_by_name",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["requested_by_name", "reason", "request_id", "decision_request_id"]
    actions = [
        reason_action("Approve selected requests", _approve),
        reason_action("Reject selected requests", _reject),
    ]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Needed for actions to show; the rows themselves stay read-only (no change form).
        return obj is None and request.user.has_perm("risk.approve_change")


# --- Limits, overrides, states --------------------------------------------------------------


def _limit_value(value: object) -> object:
    """A limit form value as the service takes it: '' for no limit, 'true'/'false' for a
    flag, the number itself otherwise."""
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else value


class RiskLimitForm(forms.ModelForm):
    reason_for_change = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=REASON_HELP + " Lowering applies at once; raising asks a risk officer.",
    )

    class Meta:
        model = RiskLimit
        fields = ["strategy", "symbol", *LIMIT_FIELDS, "drawdown_halts"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The API's rules and messages (field, limit, unit), not Django's DecimalField's.
        for name in LIMIT_FIELDS:
            self.fields[name] = ColumnFormField(limit_spec(name), required=False)


@admin.register(RiskLimit)
class RiskLimitAdmin(SecondFactorAdminMixin, admin.ModelAdmin):
    """Each changed field becomes one ``limit_change_request``: tightening applies, loosening
    files a change request. The form itself never writes the row."""

    second_factor_for_changes = True

    form = RiskLimitForm
    list_display = [
        "__str__",
        "strategy",
        "symbol",
        "max_order_notional",
        "max_position_notional",
        "max_daily_loss",
        "max_drawdown",
        "updated_at",
    ]
    search_fields = ["strategy", "symbol"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # deleting a row would loosen every limit in it without four-eyes

    def save_model(
        self, request: HttpRequest, obj: RiskLimit, form: forms.Form, change: bool
    ) -> None:
        for field in form.changed_data:
            if field not in (*LIMIT_FIELDS, "drawdown_halts"):
                continue
            submit = partial(
                services.limit_change_request,
                actor=request_user(request),
                scope=obj.scope,
                key=obj.key,
                field=field,
                value=_limit_value(form.cleaned_data[field]),
                reason=form.cleaned_data["reason_for_change"],
                request_id=request_id_of(request),
            )
            outcome = _run(request, submit, f"{field}: submitted")
            if outcome is not None and not outcome.applied:
                messages.warning(request, f"{field}: a risk officer must approve this raise.")

    def save_related(self, request: HttpRequest, form: forms.Form, formsets, change) -> None:
        pass  # nothing related; and the row may not exist yet if every change is pending


class TemporaryOverrideForm(forms.ModelForm):
    field = forms.ChoiceField(choices=[(f, f) for f in LIMIT_FIELDS])
    # Text, checked in clean() against the chosen limit's column.
    value = forms.CharField(required=False, help_text="Empty for no limit.")

    class Meta:
        model = TemporaryLimitOverride
        fields = ["scope", "key", "field", "value", "expires_at", "reason"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("value"):
            data["value"] = None
        elif data.get("field") in LIMIT_FIELDS:
            try:
                data["value"] = number_parse(data["value"], limit_spec(data["field"]))
            except NumberRefused as refused:
                self.add_error("value", str(refused))
        return data


@admin.register(TemporaryLimitOverride)
class TemporaryLimitOverrideAdmin(SecondFactorAdminMixin, admin.ModelAdmin):
    second_factor_for_changes = True
    form = TemporaryOverrideForm
    list_display = ["scope", "key", "field", "value", "expires_at", "reverted_at", "created_by"]
    list_filter = ["scope", "field"]
    readonly_fields = ["reverted_at", "created_by", "request_id"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # an override is added (through the service) or left to expire

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: forms.Form, change: bool) -> None:
        data = form.cleaned_data
        _run(
            request,
            lambda: services.limit_change_request(
                actor=request_user(request),
                scope=data["scope"],
                key=data["key"],
                field=data["field"],
                value=data["value"],
                reason=data["reason"],
                request_id=request_id_of(request),
                expires_at=data["expires_at"],
            ),
            "Override submitted (a raise waits for a risk officer).",
        )


class TradingStateForm(forms.ModelForm):
    reason_for_change = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=REASON_HELP + " Tightening applies at once; loosening asks a risk officer.",
    )

    class Meta:
        model = TradingStateSetting
        fields = ["scope", "key", "state"]


@admin.register(TradingStateSetting)
class TradingStateSettingAdmin(admin.ModelAdmin):
    form = TradingStateForm
    list_display = ["scope", "key", "state", "reason", "cooldown_until", "updated_at"]
    list_filter = ["scope", "state"]
    readonly_fields = ["reason", "cooldown_until"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: forms.Form, change: bool) -> None:
        data = form.cleaned_data
        _run(
            request,
            lambda: services.trading_state_set(
                actor=request_user(request),
                scope=data.get("scope", obj.scope),
                key=data.get("key", obj.key),
                state=data["state"],
                reason=data["reason_for_change"],
                request_id=request_id_of(request),
            ),
            "State change submitted (loosening waits for a risk officer).",
        )


@admin.register(RestrictedInstrument)
class RestrictedInstrumentAdmin(admin.ModelAdmin):
    """Compliance's restriction list; django-auditlog records every edit and a save bumps
    the risk state version, so workers refuse the symbol at their next check."""

    list_display = ["symbol", "reason", "updated_at"]
    search_fields = ["symbol"]


# --- Records for compliance -----------------------------------------------------------------


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


@admin.register(RiskAction)
class RiskActionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor_name", "reason", "request_id", "before", "after"]
    list_filter = ["action"]
    search_fields = ["actor_name", "reason", "request_id"]
    date_hierarchy = "created_at"


@admin.register(RiskTrip)
class RiskTripAdmin(ReadOnlyAdmin):
    list_display = ["tripped_at", "limit", "scope", "key", "value", "threshold", "action"]
    list_filter = ["limit", "action"]


@admin.register(EquityPeak)
class EquityPeakAdmin(ReadOnlyAdmin):
    list_display = ["trading_day", "peak", "observed_at"]
