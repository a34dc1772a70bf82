"""npconv.nn.functional: conv ops."""
__all__ = []
