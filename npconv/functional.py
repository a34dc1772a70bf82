"""``npconv.functional``, as ``torch.functional``: the tensor functions torch defines in Python there
(``meshgrid``, ``einsum``, ``split``, ``broadcast_tensors``, ``norm``, ``unique``...) are npconv's own."""

# torch.functional's public functions; each is the function of the same name at the top of torch
_NAMES = ("atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes", "broadcast_tensors",
          "cartesian_prod", "cdist", "chain_matmul", "einsum", "istft", "lu", "meshgrid", "norm", "pca_lowrank",
          "split", "stft", "svd_lowrank", "tensordot", "unique", "unique_consecutive", "unravel_index")

__all__ = list(_NAMES)


def __getattr__(name):
    """``npconv.functional.meshgrid is npconv.meshgrid`` (npconv's answer for a name it lacks included)."""
    if name in _NAMES:
        import npconv
        from npconv._torch_api import TorchFeatureNotImplemented
        try:
            return getattr(npconv, name)
        except AttributeError as error:
            if isinstance(error, NotImplementedError):
                raise
            raise TorchFeatureNotImplemented(f"torch.functional.{name} is not implemented in npconv yet") from None
    raise AttributeError(f"module 'npconv.functional' has no attribute '{name}'")
