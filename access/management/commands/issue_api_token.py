"""Issue an API token for a user and print its secret (shown this once only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.models import ApiTokenScope
from access.services import api_token_issue
from common.exceptions import ValidationFailed
from common.numeric import column_argument, range_spec


class Command(BaseCommand):
    help = "Issue an API token: --user NAME --name PURPOSE [--scope read|read_write] [--days N]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="Username the token acts as.")
        parser.add_argument("--name", required=True, help="What the token is for.")
        parser.add_argument("--scope", default=ApiTokenScope.READ, choices=ApiTokenScope.values)
        # The service's bound, checked while parsing: 10**30 days is a usage error, not
        # an OverflowError from the expiry date's arithmetic.
        days = range_spec("--days", "days", minimum=1, maximum=settings.API_TOKEN_MAX_DAYS)
        parser.add_argument(
            "--days", type=column_argument(days), default=None, help=f"Lifetime: {days.describe()}."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}")
        try:
            token, secret = api_token_issue(
                user=user, name=options["name"], scope=options["scope"], days=options["days"]
            )
        except ValidationFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"Token {token.pk} for {user.get_username()} ({token.scope}), "
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC. The secret is shown only now:"
        )
        self.stdout.write(secret)
