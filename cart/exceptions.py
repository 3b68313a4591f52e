class CartError(Exception):
    """A cart change that cannot be made; the message is meant for the shopper."""


class NotEnoughStock(CartError):
    def __init__(self, *, available: int, name: str) -> None:
        self.available = available
        if available <= 0:
            message = f"Sorry, {name} is sold out."
        else:
            message = f"Only {available} of {name} available; please choose {available} or fewer."
        super().__init__(message)
