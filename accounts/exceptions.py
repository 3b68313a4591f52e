class AccountNotClosable(Exception):
    """A staff account: an administrator removes it in the staff area, not the person."""
