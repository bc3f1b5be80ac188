"""The admin page where staff verify their TOTP device for the session."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.forms import OTPTokenForm


@never_cache
@staff_member_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """GET shows the form; POST checks the code and marks the session verified."""
    form = OTPTokenForm(request.user, request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        otp_login(request, request.user.otp_device)
    context = {
        **admin.site.each_context(request),
        "title": "Verify your second factor",
        "form": form,
        "verified": request.user.is_verified(),
    }
    return render(request, "access/otp_verify.html", context)
