"""npconv.nn.functional: upsampling ops."""
__all__ = []
