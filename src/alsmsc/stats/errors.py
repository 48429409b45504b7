"""The engine's one error type, in its own module so that every stats module can raise it without import cycles."""


class MetaError(ValueError):
    """Input that cannot be meta-analysed; the message says what is wrong and what is allowed."""
