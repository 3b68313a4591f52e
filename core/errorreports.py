"""What an error mail (core.alerts) may say about the request and the settings.

Django's report of an error lists the request's POST data, cookies and headers and all
settings. Its own filter hides setting names with KEY, PASS, TOKEN ... and the values of views
marked ``sensitive_post_parameters``; that leaves, in a mail that crosses the Internet and
lives in a mailbox: what customers typed into checkout, contact and guestbook forms (address,
phone, e-mail, message), the keys of password-reset links in the path and the Referer, the
passwords inside ``EMAIL_URL``, ``REDIS_URL`` and the broker's address, and the member's
e-mail address as "USER". This filter and reporter hide those. What stays is what finds the
bug: the traceback, the path, which fields were sent, the request id and the member's id.
"""

import re
from types import SimpleNamespace

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from .accesslog import hide_keys

#: user:password@ in an address (smtp+tls://user:pw@host, redis://:pw@host)
CREDENTIALS_IN_URL = re.compile(r"(?<=://)[^/@\s]*@")
#: request headers shown in full; every other one's value is hidden
SHOWN_META = {
    "CONTENT_LENGTH",
    "CONTENT_TYPE",
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_HOST",
    "HTTP_USER_AGENT",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_REQUEST_ID",
    "PATH_INFO",
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "wsgi.url_scheme",
}
#: values of the query string shown (search words, page numbers); the rest are hidden
SHOWN_GET = {"q", "page", "sort", "category", "series"}


class ShopExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, and in production: no POST value, no cookie, only plain headers, no
    password in an address among the settings, no key of an account link in a path."""

    def cleanse_setting(self, key, value):
        value = super().cleanse_setting(key, value)
        if isinstance(value, str) and "://" in value:
            value = CREDENTIALS_IN_URL.sub(f"{self.cleansed_substitute}@", value)
        return value

    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        # every form value may be personal (addresses, phones, messages) or secret
        cleansed = request.POST.copy()
        for name in cleansed:
            cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        # the text mail leaves local variables out; the HTML one (include_html) and Django's
        # debug page show them: a checkout's contact, an address, a password being checked
        variables = super().get_traceback_frame_variables(request, tb_frame)
        if not self.is_active(request):
            return variables
        return [(name, self.cleansed_substitute) for name, _ in variables]

    def get_safe_cookies(self, request):
        if not self.is_active(request):
            return super().get_safe_cookies(request)
        return dict.fromkeys(getattr(request, "COOKIES", {}), self.cleansed_substitute)

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        if not self.is_active(request):
            return meta
        return {
            name: hide_keys(value) if isinstance(value, str) else value
            for name, value in meta.items()
            if name in SHOWN_META
        } | {name: self.cleansed_substitute for name in meta if name not in SHOWN_META}


class ShopExceptionReporter(ExceptionReporter):
    """Django's report with the member named by id and the path's link keys hidden."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        request = self.request
        if request is None or not self.filter.is_active(request):
            return data
        try:
            user = request.user
            data["user_str"] = f"member id {user.pk}" if user.is_authenticated else "anonymous"
        except Exception:  # the database may be what failed (Django's own report says so too)
            data["user_str"] = "[unable to retrieve the current user]"
        data["request_GET_items"] = [
            (k, v if k in SHOWN_GET else self.filter.cleansed_substitute)
            for k, v in data.get("request_GET_items") or []
        ]
        path = hide_keys(request.path_info)
        # the report's first line and "Request URL" (the whole address, query string and all)
        data["request"] = SimpleNamespace(
            path_info=path, META={"REQUEST_METHOD": request.META.get("REQUEST_METHOD")}
        )
        data["request_insecure_uri"] = path + ("?[hidden]" if request.GET else "")
        return data
