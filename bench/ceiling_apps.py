"""allauth's account app for the ceiling: the same app, without the check for its middleware."""

from allauth.account.apps import AccountConfig as AllauthAccountConfig


class AccountConfig(AllauthAccountConfig):
    def ready(self) -> None:
        from allauth.account import checks  # noqa: F401 - the rest of allauth's ready()
