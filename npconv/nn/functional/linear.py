"""npconv.nn.functional: linear ops."""
__all__ = []
