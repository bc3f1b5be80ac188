"""Access admin: API tokens (secret shown once), user management behind 2FA, and login
lockouts."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.models import ApiToken
from access.services import api_token_issue, api_token_revoke
from common.request_context import request_user
from common.second_factor import SecondFactorAdminMixin

DAYS_HELP = "Days until the token expires."


class ApiTokenForm(forms.ModelForm):
    days = forms.IntegerField(min_value=1, help_text=DAYS_HELP)

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scope"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service's bound, read when the form is built (settings may change): past it
        # api_token_issue refuses in save_model, which the admin shows as a server error.
        self.fields["days"] = forms.IntegerField(
            min_value=1,
            max_value=settings.API_TOKEN_MAX_DAYS,
            initial=settings.API_TOKEN_DEFAULT_DAYS,
            help_text=DAYS_HELP,
        )


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

    def get_form(
        self, request: HttpRequest, obj: ApiToken | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[ApiToken]]:
        if obj is None:
            kwargs["form"] = ApiTokenForm
        return super().get_form(request, obj, change, **kwargs)

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
            actor=request_user(request),
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
        response = TemplateResponse(request, "access/api_token_issued.html", context)
        add_never_cache_headers(response)  # the secret must not sit in any cache
        return response

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        actor = request_user(request)
        for token in queryset:
            api_token_revoke(token_id=token.pk, actor=actor, reason=f"revoked in admin by {actor}")
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


# axes offers its action to anyone who can see the list; gate it by the permission it really
# uses (the permission matrix test holds it to that).
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class GuardedAccessAttemptAdmin(AccessAttemptAdmin):
    """Clearing login attempts deletes lockout evidence: delete permission (admin role) only."""

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if self.has_delete_permission(request):
            return actions
        return {k: v for k, v in actions.items() if k != "cleanup_expired_attempts"}
