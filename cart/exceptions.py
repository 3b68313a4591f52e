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


class LineNotInCart(CartError):
    """The line is not in this visitor's cart: removed meanwhile, or someone else's (404)."""

    def __init__(self) -> None:
        super().__init__("That item is not in your cart (any more).")


class CartCheckedOut(CartError):
    """The cart was checked out (by another tab's "Buy now") while this change waited for it:
    nothing was changed; the change belongs in the visitor's new cart."""

    def __init__(self) -> None:
        super().__init__("Your cart was just checked out. Please add the item again.")


class CartOrderedMeanwhile(CartCheckedOut):
    """A change to a line of a cart that was checked out (by another tab's "Buy now") while
    the change was on its way: nothing was changed; the order was placed as the cart was."""

    def __init__(self) -> None:
        CartError.__init__(
            self,
            "This cart was already ordered (in another tab or window), so nothing was changed.",
        )


class NoActiveShippingMethod(Exception):
    """A change to the delivery methods would leave none active: nobody could check out."""

    def __init__(self) -> None:
        super().__init__(
            "At least one delivery method must stay active: without one, nobody can check out."
        )
