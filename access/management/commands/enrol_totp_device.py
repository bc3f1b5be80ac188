"""Enrol a TOTP device for a user and print its otpauth:// URL (for the authenticator app).

The bootstrap path: with SECURITY_REQUIRE_2FA on, enrolling devices in admin is itself user
management and needs a verified device, so the first one comes from a shell on the host.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Enrol a confirmed TOTP device: --user NAME [--name DEVICE]; prints the otpauth URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True)
        parser.add_argument("--name", default="authenticator")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}")
        device = TOTPDevice.objects.create(user=user, name=options["name"], confirmed=True)
        self.stderr.write(f"TOTP device {device.pk} for {user.get_username()}; add this URL:")
        self.stdout.write(device.config_url)
