"""npconv.nn.functional: padding ops."""
__all__ = []
