class AccountNotClosable(Exception):
    """A staff account: an administrator removes it in the staff area, not the person."""


class AccountClosed(Exception):
    """The member's account was closed meanwhile (in another tab or device)."""
