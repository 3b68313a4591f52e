from django.contrib.auth import SESSION_KEY


def end_sessions_of_closed_accounts(get_response):
    """A session signed in to an account that no longer exists (closed on another device) is
    emptied on its next request: what it held for the member (checkout details, the cart link)
    goes with the account. Django itself only treats such a session as signed out. The same
    happens to a member whom staff deactivated (is_active off): Django treats them as signed
    out too, and what their session held should not outlive that."""

    def middleware(request):
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session and not request.user.is_authenticated:
            session.flush()
        return get_response(request)

    return middleware
