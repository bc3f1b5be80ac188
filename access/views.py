"""The admin page where staff verify their TOTP device for the session."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.forms import OTPTokenForm

from common.request_context import request_user
from common.second_factor import session_verified


@never_cache
@staff_member_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """GET shows the form; POST checks the code and marks the session verified."""
    user = request_user(request)
    form = OTPTokenForm(user, request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.user.otp_device)  # the device the form's check matched
    context = {
        **admin.site.each_context(request),
        "title": "Verify your second factor",
        "form": form,
        "verified": session_verified(user),
    }
    return render(request, "access/otp_verify.html", context)
