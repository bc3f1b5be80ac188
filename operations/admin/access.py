"""Operations admin: API tokens (secret shown once), and user management behind 2FA."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.validators import MaxValueValidator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.second_factor import SecondFactorAdminMixin
from operations.access import api_token_issue, api_token_revoke
from operations.models import ApiToken


class ApiTokenForm(forms.ModelForm):
    days = forms.IntegerField(min_value=1, help_text="Days until the token expires.")

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scope"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service's bound, read when the form is built (settings may change): past it
        # api_token_issue refuses in save_model, which the admin shows as a server error.
        days = self.fields["days"]
        days.max_value = settings.API_TOKEN_MAX_DAYS
        days.validators.append(MaxValueValidator(settings.API_TOKEN_MAX_DAYS))
        days.widget.attrs["max"] = settings.API_TOKEN_MAX_DAYS
        days.initial = settings.API_TOKEN_DEFAULT_DAYS


@admin.register(ApiToken)
class ApiTokenAdmin(SecondFactorAdminMixin, admin.ModelAdmin):
    """Issuing shows the secret once; afterwards a token can only be revoked."""

    second_factor_actions = frozenset({"revoke"})
    second_factor_for_changes = True
    list_display = ["name", "user", "prefix", "scope", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["scope", "revoked_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    raw_id_fields = ["user"]
    actions = ["revoke"]

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return [f.name for f in ApiToken._meta.fields]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return  # issued tokens are immutable; revoke instead
        token, secret = api_token_issue(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            days=form.cleaned_data["days"],
            actor=request.user,
        )
        obj.__dict__.update({k: v for k, v in token.__dict__.items() if k != "_state"})
        obj._state.adding = False
        request._api_token_secret = secret  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        context = {
            **self.admin_site.each_context(request),
            "title": "API token issued",
            "token": obj,
            "secret": request._api_token_secret,  # type: ignore[attr-defined]
            "opts": self.opts,
        }
        response = TemplateResponse(request, "operations/api_token_issued.html", context)
        add_never_cache_headers(response)  # the secret must not sit in any cache
        return response

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        for token in queryset:
            api_token_revoke(
                token_id=token.pk, actor=request.user, reason=f"revoked in admin by {request.user}"
            )
        messages.info(request, f"Revoked {queryset.count()} token(s).")
        return None


# User management needs a verified second factor: adding, changing or deleting users, groups
# and TOTP devices.
admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.unregister(TOTPDevice)


@admin.register(User)
class SecuredUserAdmin(SecondFactorAdminMixin, UserAdmin):
    second_factor_for_changes = True
    second_factor_actions = frozenset({"delete_selected"})

    def user_change_password(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self._second_factor_for_write(request, "password")
        return super().user_change_password(request, *args, **kwargs)


@admin.register(Group)
class SecuredGroupAdmin(SecondFactorAdminMixin, GroupAdmin):
    second_factor_for_changes = True
    second_factor_actions = frozenset({"delete_selected"})


@admin.register(TOTPDevice)
class SecuredTOTPDeviceAdmin(SecondFactorAdminMixin, TOTPDeviceAdmin):
    second_factor_for_changes = True
    second_factor_actions = frozenset({"delete_selected"})


# Third-party admins offer their actions to anyone who can see the list; gate them by the
# permission each one really uses (the permission matrix test holds them to it).
admin.site.unregister(PeriodicTask)
admin.site.unregister(AccessAttempt)


def _without(actions: dict, names: tuple[str, ...], allowed: bool) -> dict:
    return actions if allowed else {k: v for k, v in actions.items() if k not in names}


@admin.register(PeriodicTask)
class GuardedPeriodicTaskAdmin(PeriodicTaskAdmin):
    """Enabling, disabling and running tasks needs change_periodictask, not just view."""

    def get_actions(self, request: HttpRequest) -> dict:
        names = ("enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks")
        return _without(super().get_actions(request), names, self.has_change_permission(request))


@admin.register(AccessAttempt)
class GuardedAccessAttemptAdmin(AccessAttemptAdmin):
    """Clearing login attempts deletes lockout evidence: delete permission (admin role) only."""

    def get_actions(self, request: HttpRequest) -> dict:
        names = ("cleanup_expired_attempts",)
        return _without(super().get_actions(request), names, self.has_delete_permission(request))
