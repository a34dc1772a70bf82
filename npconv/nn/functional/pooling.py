"""npconv.nn.functional: pooling ops."""
__all__ = []
