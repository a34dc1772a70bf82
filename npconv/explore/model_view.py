"""Model mode: a model, one image, its layer table (:func:`npconv.summary`) and every layer's activations.

The model comes from the same place ``npconv summary`` takes it (a built-in name or ``path.py:Class``,
:func:`npconv.arithmetic.cli.load_model`), its weights from :func:`npconv.load` (what ``npconv demo
--save`` writes), the image from the bundled digits (:func:`npconv.data.load_digits`) or a PNG/JPEG read
with Pillow. Activations are the outputs recorded by :func:`npconv.arithmetic.trace.trace` in one real
forward, matched to the summary's rows by name. A click on a row explains that layer with its real weights
(:func:`npconv.explain`). Only files the user named are read; the page may switch between built-in models.
"""
import base64
import math
import threading

import numpy as np

from ..explain import ExplainError, explain, layer_spec
from ..explain.parse import LAYER_NAMES
from .layers import check_limits, dims_text, explanation_payload, module_defaults, parse_indices, python_literal

__all__ = ["ModelView", "activation_maps", "MAX_CHANNELS_SHOWN", "MAX_SIDE_SHOWN"]

MAX_CHANNELS_SHOWN = 8
MAX_SIDE_SHOWN = 64
DRAWN_SIDE = 12                         # a layer too large to draw is drawn on an input about this wide
DEFAULT_FILE_INPUT = (1, 1, 28, 28)     # a model from a file: the bundled digits' size unless --input says
_DIGITS = {}
_DIGITS_LOCK = threading.Lock()
# functional calls recorded by the summary that explain can show as their module counterpart
_FUNCTIONAL_LAYERS = {**{f"F.max_pool{d}d": f"MaxPool{d}d" for d in (1, 2, 3)},
                      **{f"F.avg_pool{d}d": f"AvgPool{d}d" for d in (1, 2, 3)}, "F.interpolate": "Upsample"}


class ModelView:
    """One model with its weights and image source, and the answers of the page's model mode."""

    def __init__(self, source="lenet", weights=None, image=None, input_size=None):
        self.source, self.weights, self.image, self.input_text = source, weights, image, input_size
        self._model = self._input_shape = None
        self._runs = {}            # image key -> (summary, {row name: recorded call}, input array, about)

    @classmethod
    def for_page(cls, name, previous=None):
        """A built-in model chosen on the page (never a file: the page names no paths)."""
        from .. import models
        if previous is not None and name == previous.source:
            return previous
        models.default_input_size(name)   # ValueError naming the built-in models when unknown
        return cls(name)

    def check(self):
        """Build the model, load the weights and read the image now, so that errors show at start-up."""
        self.model
        self.input_array(self.default_image_key())

    # ---- the model ----------------------------------------------------------------------------------------
    @property
    def model(self):
        if self._model is None:
            self._model, self._input_shape = self._build()
        return self._model

    @property
    def input_shape(self):
        self.model
        return self._input_shape

    def _build(self):
        from ..arithmetic.cli import load_model, parse_input_size
        try:
            model, default_size = load_model(self.source)
        except (ValueError, ImportError, OSError):
            raise
        except Exception as error:   # the user's own class failed to build: one line, not a traceback
            raise ValueError(f"cannot build {self.source}: {type(error).__name__}: {error}") from None
        shape = parse_input_size(self.input_text) if self.input_text else (default_size or DEFAULT_FILE_INPUT)
        if self.weights:
            _load_weights(model, self.weights)
        model.eval()
        return model, (1,) + tuple(shape[1:])

    def describe(self):
        weights = f"weights from {self.weights}" if self.weights else "random initial weights (no --weights)"
        return {"model": self.source, "class": type(self.model).__name__, "weights": weights,
                "input_shape": list(self.input_shape)}

    # ---- the image ----------------------------------------------------------------------------------------
    def default_image_key(self):
        return "file" if self.image else "digit:0"

    def input_array(self, key):
        """``(array of input_shape, description, label or None)`` for the image ``key``."""
        shape = self.input_shape
        image_like = len(shape) == 4 and shape[1] in (1, 3)
        if not image_like:
            rng = np.random.default_rng(0)
            return rng.standard_normal(shape).astype(np.float32), f"random normal input {shape} (seed 0)", None
        if key == "file" and self.image:
            return _read_image(self.image, shape), f"{self.image} as {shape[1]}x{shape[2]}x{shape[3]}", None
        index = _digit_index(key)
        images, labels = _digits()
        picked = _resize(images[index:index + 1], shape[2:])
        picked = np.repeat(picked, shape[1], axis=1)
        return picked, f"bundled digit #{index} (test split) resized to {shape[2]}x{shape[3]}", int(labels[index])

    # ---- answers --------------------------------------------------------------------------------------------
    def overview(self, key=None):
        """The page's model mode: model, image, prediction, and the table rows with their activations."""
        key = key or self.default_image_key()
        table, calls, array, about, label = self._run(key)
        rows = []
        for row in table.layers:
            call = calls.get(row.name)
            rows.append({**row.to_dict(), "explainable": _explainable(row, call) is not None,
                         "activation": activation_maps(call.output) if row.is_leaf and call is not None
                         and row.depth > 0 else None})
        model_output = calls.get("")
        return {"ok": True, **self.describe(), "image": {"key": key, "about": about, "label": label,
                "has_file": bool(self.image), "digits": len(_digits()[1]), "map": activation_maps(array)},
                "total_params": table.total_params, "total_mult_adds": table.total_mult_adds, "rows": rows,
                "prediction": _prediction(model_output.output if model_output is not None else None)}

    def explain_row(self, name, key=None, at=None):
        """The explain view of the row ``name`` (its real weights), traced at output position ``at``."""
        key = key or self.default_image_key()
        table, calls, *_ = self._run(key)
        row = next((r for r in table.layers if r.name == name), None)
        if row is None:
            raise ExplainError(f"no layer named {name!r} in {self.source}")
        layer = _explainable(row, calls.get(name))
        if layer is None:
            raise ExplainError(f"{name} ({row.type}) is not a layer explain draws; explainable: "
                               f"{', '.join(LAYER_NAMES)}")
        full_shape = (1,) + tuple(row.input_shape[1:])
        spec = layer_spec(layer, spatial_dims=len(full_shape) - 2)
        payload, note = None, None
        try:
            check_limits(spec, full_shape, existing_weights=True)
            payload = explanation_payload(explain(layer, full_shape, at=parse_indices(at, "position")))
        except ExplainError as error:
            note = str(error)
        if payload is None or payload["svg"] is None:   # too large to draw: the same layer on a smaller input
            small = _drawable_input(spec, full_shape)
            note = (f"drawn on input {list(small)} instead of {list(full_shape)} ({note or payload['diagram_error']}): "
                    f"the same layer and weights; the table gives the full-size numbers")
            check_limits(spec, small, existing_weights=True)
            payload = explanation_payload(explain(layer, small, at=parse_indices(at, "position")))
        text = layer if isinstance(layer, str) else repr(layer)
        payload.update(row=name, layer=text, code=f"# {name}\n{text}", note=note,
                       numbers={"params": row.params, "macs": row.mult_adds,
                                "output_shape": str(list(row.output_shape)),
                                "receptive_field": dims_text(row.receptive_field), "jump": dims_text(row.stride)})
        return payload

    def _run(self, key):
        """The summary and one real forward for image ``key`` (cached: the page asks for each row)."""
        if key not in self._runs:
            from .. import from_numpy
            from ..arithmetic import summary
            from ..arithmetic.trace import trace
            array, about, label = self.input_array(key)
            try:
                table = summary(self.model, self.input_shape, verbose=0)
                recorded = trace(self.model, [from_numpy(array)])
            except (RuntimeError, TypeError, ValueError, IndexError, NotImplementedError) as error:
                raise ValueError(f"{self.source} fails on input {list(self.input_shape)}: "
                                 f"{type(error).__name__}: {error}") from None
            calls = {call.name: call for call in recorded if not call.internal}
            self._runs = {key: (table, calls, array, about, label)}   # keep one image's run
        return self._runs[key]


# ---- helpers ------------------------------------------------------------------------------------------------

def _load_weights(model, path):
    from .. import load
    try:
        state = load(path)
    except OSError as error:
        raise ValueError(f"cannot read weights {path}: {error.strerror or error}") from None
    if not hasattr(state, "keys"):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict of weights")
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError) as error:
        raise ValueError(f"the weights in {path} do not fit {type(model).__name__}: "
                         f"{str(error).splitlines()[0]}") from None


def _digits():
    with _DIGITS_LOCK:
        if not _DIGITS:
            from ..data import load_digits
            images, labels = load_digits(train=False, size=8).tensors
            _DIGITS["images"], _DIGITS["labels"] = images.numpy(), labels.numpy()
    return _DIGITS["images"], _DIGITS["labels"]


def _digit_index(key):
    count = len(_digits()[1])
    try:
        kind, _, number = str(key).partition(":")
        index = int(number)
    except ValueError:
        index, kind = -1, ""
    if kind != "digit" or not 0 <= index < count:
        raise ValueError(f"image must be digit:N with N from 0 to {count - 1}, or file; got {key!r}")
    return index


def _resize(images, size):
    """Bilinear resize with npconv's own interpolate, as the bundled digits are made at 28x28."""
    from .. import from_numpy, no_grad
    from ..nn.functional import interpolate
    if tuple(images.shape[2:]) == tuple(size):
        return images.astype(np.float32)
    with no_grad():
        return interpolate(from_numpy(images.astype(np.float32)), size=tuple(size), mode="bilinear",
                           align_corners=False).numpy()


def _read_image(path, shape):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("reading --image needs Pillow: pip install 'npconv[images]'") from None
    try:
        with Image.open(path) as image:
            image = image.convert("L" if shape[1] == 1 else "RGB").resize((shape[3], shape[2]),
                                                                         Image.Resampling.BILINEAR)
            pixels = np.asarray(image, dtype=np.float32) / 255.0
    except OSError as error:
        raise ValueError(f"cannot read image {path}: {error}") from None
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    return pixels[None].astype(np.float32)


def _drawable_input(spec, shape, side=DRAWN_SIDE):
    """``shape`` with each spatial size cut to about ``side`` cells, but never below what the layer needs to
    give an output (its dilated kernel span, less the padding it adds)."""
    spatial = []
    for index, size in enumerate(shape[2:]):
        needed = 1
        if spec.kind in ("conv", "max_pool", "avg_pool"):
            span = spec.dilation[index] * (spec.kernel_size[index] - 1) + 1
            padding = 0 if isinstance(spec.padding, str) else 2 * spec.padding[index]
            needed = max(1, span - padding, span if spec.padding == "same" else 1)
        limit = side if spec.kind != "conv_transpose" else max(2, side // max(spec.stride[index], 1))
        spatial.append(min(size, max(limit, needed)))
    return tuple(shape[:2]) + tuple(spatial)


def _explainable(row, call):
    """What explain can draw for ``row``: its module, or the text of a functional pooling/upsampling call."""
    if call is None:
        return None
    if call.kind == "module" and row.type in LAYER_NAMES:
        return call.module
    name = _FUNCTIONAL_LAYERS.get(row.type)
    if name is None or row.input_shape is None:
        return None
    from ..explain.parse import PARAMETERS
    defaults = module_defaults(name)
    wanted = {key: value for key, value in call.arguments.items()
              if key in PARAMETERS[name] and value is not None and not (key == "stride" and value in ((), []))
              and not (key in defaults and value == defaults[key])}
    if name == "Upsample" and wanted.get("mode") in (None, "area", "nearest-exact"):
        return None
    shown = ", ".join(f"{key}={python_literal(value)}" for key, value in wanted.items())
    return f"{name}({shown})"


def activation_maps(tensor, max_channels=MAX_CHANNELS_SHOWN, max_side=MAX_SIDE_SHOWN):
    """The first channels of one output as small greyscale maps (base64 bytes, 0-255 over min..max).

    ``(1, C, H, W)`` gives C maps, ``(1, C, L)`` C one-row strips, ``(1, C, D, H, W)`` the middle depth
    slice, ``(1, F)`` one strip of F values (and the values themselves when F <= 32, e.g. logits).
    """
    if tensor is None or not hasattr(tensor, "shape") or len(tensor.shape) < 2:
        return None
    array = np.asarray(tensor.detach().numpy() if hasattr(tensor, "detach") else tensor, dtype=np.float64)[0]
    channels = array.shape[0] if array.ndim >= 2 else 1
    if array.ndim == 1:
        array = array[None, None, :]
    elif array.ndim == 2:
        array = array[:, None, :]
    elif array.ndim == 4:
        array = array[:, array.shape[1] // 2]
    shown = array[:max_channels]
    rows = _sample(shown.shape[1], max_side)
    columns = _sample(shown.shape[2], max_side if shown.shape[1] > 1 else 4 * max_side)
    shown = shown[:, rows][:, :, columns]
    finite = shown[np.isfinite(shown)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    scaled = np.zeros(shown.shape) if high <= low else (np.nan_to_num(shown, nan=low) - low) / (high - low)
    pixels = np.clip(np.round(scaled * 255), 0, 255).astype(np.uint8)
    answer = {"channels": int(channels), "height": int(shown.shape[1]), "width": int(shown.shape[2]),
              "min": low, "max": high, "maps": [base64.b64encode(p.tobytes()).decode("ascii") for p in pixels]}
    if len(tensor.shape) == 2 and tensor.shape[1] <= 32:
        answer["values"] = [float(v) for v in array.reshape(-1)]
    return answer


def _sample(size, limit):
    """At most ``limit`` evenly spaced indices of ``range(size)`` (a large map is shown sub-sampled)."""
    if size <= limit:
        return np.arange(size)
    return np.linspace(0, size - 1, limit).round().astype(int)


def _prediction(output):
    """Top classes of a ``(1, K)`` output (softmax of the logits), or None for other outputs."""
    if output is None or len(output.shape) != 2 or not 2 <= output.shape[1] <= 1000:
        return None
    logits = np.asarray(output.detach().numpy(), dtype=np.float64)[0]
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    top = np.argsort(-probabilities)[:3]
    return [{"class": int(k), "probability": float(probabilities[k])} for k in top if math.isfinite(probabilities[k])]
