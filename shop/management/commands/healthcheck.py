"""``manage.py healthcheck``: the checks of /healthz, from the server itself (the
shop-healthcheck timer runs it every 15 minutes): each problem is logged as an error, which
core.alerts mails to the owner (SHOP_ERROR_EMAILS), and the exit status is 1. Nothing else
looks at /healthz on a single server; this is what tells the owner that Celery beat stopped
or a nightly job fails every night."""

import json
import logging

from django.core.management.base import BaseCommand, CommandError

from shop.health import check_health, describe_problems

logger = logging.getLogger("shop.healthcheck")


class Command(BaseCommand):
    help = (
        "Check the database, Redis, the e-mail outbox and the periodic jobs; log each problem "
        "as an error (mailed to SHOP_ERROR_EMAILS)."
    )

    def handle(self, *args, **options):
        health = check_health()
        problems = describe_problems(health)
        for kind, problem in problems:
            # one mail per kind of problem (core.alerts), whatever the numbers in it
            logger.error("Health check: %s", problem, extra={"alert_key": f"health:{kind}"})
        health.pop("database_error", None)
        self.stdout.write(json.dumps(health))
        if problems:
            raise CommandError(f"{len(problems)} problem(s); see above")
