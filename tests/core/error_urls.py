"""A URLconf with views that fail, for the tests of error mails and log lines."""

import logging

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

handler500 = "shop.views.server_error"


@csrf_exempt
def boom(request, **kwargs):
    raise RuntimeError("checkout broke")


def logs(request):
    logging.getLogger("shop.test").warning("something to look at")
    return HttpResponse("ok")


urlpatterns = [
    path("checkout/boom/", boom),
    path("accounts/confirm-email/<key>/", boom),
    path("logs/", logs),
]
