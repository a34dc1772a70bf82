"""dtypes as torch names them (``npconv.float32`` prints ``torch.float32``) and torch's type promotion."""
import builtins as _builtins

import numpy as np

_py_float, _py_int, _py_bool = _builtins.float, _builtins.int, _builtins.bool

__all__ = ["dtype", "float16", "half", "float32", "float", "float64", "double", "int8", "int16", "short",
           "int32", "int", "int64", "long", "uint8", "bool", "get_default_dtype", "set_default_dtype",
           "promote_types"]


class dtype:
    """A tensor element type: a torch name over a NumPy dtype, with the other names torch gives it:
    ``scalar_name`` ('Float', in messages such as "not implemented for 'Float'"), ``c_name`` ('float', the
    C++ type in messages such as "float != double") and ``tensor_type_name`` ('FloatTensor', as
    ``Tensor.type()`` and the legacy constructors say)."""

    __slots__ = ("name", "numpy_dtype", "is_floating_point", "is_signed", "itemsize", "scalar_name", "c_name")

    def __init__(self, name, numpy_dtype, scalar_name, c_name):
        self.name = name
        self.scalar_name = scalar_name
        self.c_name = c_name
        self.numpy_dtype = np.dtype(numpy_dtype)
        self.is_floating_point = self.numpy_dtype.kind == "f"
        self.is_signed = self.numpy_dtype.kind in "fi"
        self.itemsize = self.numpy_dtype.itemsize

    @property
    def is_complex(self):
        return False

    @property
    def tensor_type_name(self):
        return self.scalar_name + "Tensor"

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):  # pickle as the module-level singleton
        return (_from_name, (self.name,))


float16 = half = dtype("float16", np.float16, "Half", "c10::Half")
float32 = float = dtype("float32", np.float32, "Float", "float")  # noqa: A001  (torch spells it so)
float64 = double = dtype("float64", np.float64, "Double", "double")
int8 = dtype("int8", np.int8, "Char", "signed char")
int16 = short = dtype("int16", np.int16, "Short", "short int")
int32 = int = dtype("int32", np.int32, "Int", "int")  # noqa: A001
int64 = long = dtype("int64", np.int64, "Long", "long int")
uint8 = dtype("uint8", np.uint8, "Byte", "unsigned char")
bool = dtype("bool", np.bool_, "Bool", "bool")  # noqa: A001

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool)  # every dtype npconv has
_BY_NUMPY = {d.numpy_dtype: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
_default_float = float32


def _from_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    """The npconv dtype of a NumPy dtype; TypeError for types torch does not have here."""
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only "
                        "supported types are: float64, float32, float16, int64, int32, int16, int8, "
                        "uint8, and bool.") from None


def to_dtype(value):
    """Accept an npconv dtype, a NumPy dtype/type, or the Python types float/int/bool (as torch)."""
    if isinstance(value, dtype):
        return value
    if value is _py_float:
        return _default_float
    if value is _py_int:
        return int64
    if value is _py_bool:
        return bool
    return from_numpy_dtype(value)


def get_default_dtype():
    """The dtype of new floating tensors (float32 unless changed)."""
    return _default_float


def set_default_dtype(d):
    """Set the dtype of new floating tensors: float32 or float64 (float16 too, as torch)."""
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def promote_types(a, b):
    """torch.promote_types: a float beats any int or bool (keeping its width); otherwise NumPy's rule."""
    a, b = to_dtype(a), to_dtype(b)
    if a is b:
        return a
    if a.is_floating_point != b.is_floating_point:
        return a if a.is_floating_point else b
    if a is bool:
        return b
    if b is bool:
        return a
    return _BY_NUMPY[np.promote_types(a.numpy_dtype, b.numpy_dtype)]


def _category(d):
    return 2 if d.is_floating_point else (0 if d is bool else 1)


def _combine_categories(higher, lower):
    # torch's c10 combine_categories: a lower-priority operand only matters if its category is higher.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type(operands):
    """torch.result_type over Tensors and Python scalars: dimensioned tensors first, then 0-dim tensors,
    then Python numbers (float -> default dtype, int -> int64), each only lifting the category."""
    dim_result = zero_result = wrapped_result = None
    for op in operands:
        if hasattr(op, "_data"):
            d = op.dtype
            if op._data.ndim:
                dim_result = d if dim_result is None else promote_types(dim_result, d)
            else:
                zero_result = d if zero_result is None else promote_types(zero_result, d)
        else:
            d = scalar_dtype(op)
            wrapped_result = d if wrapped_result is None else promote_types(wrapped_result, d)
    return _combine_categories(dim_result, _combine_categories(zero_result, wrapped_result))


def scalar_dtype(value):
    """The dtype torch gives a Python number: bool, int64, or the default float."""
    if isinstance(value, (_py_bool, np.bool_)):
        return bool
    if isinstance(value, (_py_int, np.integer)):
        return int64
    if isinstance(value, (_py_float, np.floating)):
        return _default_float
    if isinstance(value, np.ndarray):
        return from_numpy_dtype(value.dtype)
    raise TypeError(f"unsupported operand type: {type(value).__name__}")


class finfo:
    """torch.finfo: limits of a floating dtype (eps, max, min, tiny, resolution, bits)."""

    def __init__(self, type=None):  # noqa: A002
        d = to_dtype(type) if type is not None else _default_float
        info = np.finfo(d.numpy_dtype)
        self.bits, self.eps, self.max, self.min = info.bits, _py_float(info.eps), _py_float(info.max), _py_float(info.min)
        self.tiny = self.smallest_normal = _py_float(info.tiny)
        self.resolution = _py_float(info.resolution)
        self.dtype = d.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """torch.iinfo: limits of an integer dtype."""

    def __init__(self, type):  # noqa: A002
        d = to_dtype(type)
        info = np.iinfo(d.numpy_dtype)
        self.bits, self.max, self.min, self.dtype = info.bits, _py_int(info.max), _py_int(info.min), d.name

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


# the C++ type torch names when a Scalar does not fit a dtype
_CONVERTED_NAMES = {"int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t",
                    "float16": "c10::Half", "float32": "float", "float64": "double"}


def check_scalar_fits(value, d):
    """torch's check when a Python number becomes a value of dtype ``d`` (a fill value, a pad value): a
    non-finite or out-of-range number for an integer dtype, a finite one beyond a float dtype's range."""
    if d.name == "bool" or isinstance(value, complex):
        return
    value = _py_float(value) if d.is_floating_point or value != value or value in (_py_float("inf"),
                                                                                  -_py_float("inf")) else value
    if d.is_floating_point:
        fits = value != value or abs(value) == _py_float("inf") or abs(value) <= _py_float(np.finfo(d.numpy_dtype).max)
    else:
        info = np.iinfo(d.numpy_dtype)
        fits = value == value and abs(value) != _py_float("inf") and info.min <= value <= info.max
    if not fits:
        raise RuntimeError(f"value cannot be converted to type {_CONVERTED_NAMES[d.name]} without overflow")
