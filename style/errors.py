"""The one error every restyle front end turns into a clear message (a 4xx, an exit code 2)."""


class RestyleError(ValueError):
    """A restyle request cannot be served; the message names the input and the problem."""
