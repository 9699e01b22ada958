"""Values from Python callers (the API's dicts and keyword arguments) in a problem file's shape.

A problem file holds numbers, strings and nested lists. Python hands over more: Fractions,
Decimals, NumPy arrays and scalars, PyTorch tensors, tuples. `plain` turns each into what a
file would hold, without importing NumPy or PyTorch (their arrays are recognised by their
methods):
- an int, a str or a Decimal stays itself (read exactly, as from a file);
- a Fraction becomes the text "p/q" (exact);
- a float, and each entry of a float array or tensor, is widened to float64 and written as
  the shortest decimal that reads back as that double (float32 0.1 is 0.10000000149011612,
  the double it is; the float 0.1 is 1/10, as in a file);
- integer arrays become lists of ints; anything else (bool, complex, objects) is refused.
"""

from decimal import Decimal
from fractions import Fraction

from .errors import InputError, WrongType, listing, quoted
from .names import param_name

# the problem file's keys an API call may give as keyword arguments (params and data go in
# as their entries: w_h=2, x=[1, 2])
SETTINGS = ("title", "cell", "activation", "output", "loss", "reduction", "outputs", "layout")
DATA = ("x", "y")
KEPT = ("answers", "tolerance", "title")


def _kind(value) -> str:
    return type(value).__name__


def plain(value, where: str):
    """`value` in the shape a TOML file would give it (see the module's docstring)."""
    if isinstance(value, bool) or value is None:
        raise WrongType(f"expected a number, a list or an array, found {value!r}", where=where)
    if isinstance(value, (int, str, Decimal)):
        return value
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, float):
        return repr(float(value))   # np.float64 is a float whose repr is np.float64(...)
    if isinstance(value, dict):
        return table_of(value, where)
    if isinstance(value, (list, tuple)):
        return [plain(v, f"{where}[{i + 1}]") for i, v in enumerate(value)]
    if hasattr(value, "detach") and hasattr(value, "is_floating_point"):   # a torch tensor
        value = value.detach().cpu()
        if value.is_complex() or str(value.dtype) == "torch.bool":
            raise WrongType(f"expected real numbers, found a tensor of {value.dtype}",
                            where=where)
        return plain(value.double().tolist() if value.is_floating_point() else value.tolist(),
                     where)
    dtype = getattr(value, "dtype", None)
    if dtype is not None and hasattr(value, "tolist") and hasattr(dtype, "kind"):  # NumPy
        if dtype.kind == "f":
            return plain(value.astype("float64").tolist(), where)
        if dtype.kind in "iu":
            return plain(value.tolist(), where)
        raise WrongType(f"expected real numbers, found an array of {dtype}", where=where)
    raise WrongType(f"expected a number, a list or an array, found {_kind(value)}",
                    where=where)


def table_of(source, where: str) -> dict:
    """A dict in the shape of a problem file, its values made plain."""
    if not all(isinstance(k, str) for k in source):
        bad = next(k for k in source if not isinstance(k, str))
        raise WrongType(f"expected string keys, found {quoted(repr(bad))}", where=where)
    # an answer key is read as check reads a file's (its numbers' precision is their meaning)
    return {k: v if k in KEPT else plain(v, f"{where}: {k}") for k, v in source.items()}


def overrides(options: dict) -> dict:
    """Keyword arguments as flags over a problem table: 'activation', 'params.w_h',
    'data.x'. Names are the problem file's (an alias such as W_hh is its parameter); `params`
    and `data` may also come whole, as dicts. Anything else is a TypeError naming it."""
    out: dict = {}
    for key, value in options.items():
        if value is None:
            continue
        if key == "outputs" and not isinstance(value, str):
            if not isinstance(value, (list, tuple)) or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in value):
                raise WrongType(f'expected "all", "last" or a list of steps such as [2], '
                                f"found {quoted(repr(value))}", where=key)
            out[key] = list(value)
        elif key in SETTINGS:
            out[key] = check_str(value, key, "a string")
        elif key in DATA:
            out[f"data.{key}"] = plain(value, key)
        elif key in ("params", "data"):
            if not isinstance(value, dict):
                raise WrongType(f"expected a dict, found {_kind(value)}", where=key)
            for k, v in value.items():
                check_str(k, key, "names as keys")
                name = k if key == "data" else param_name(k)
                if name is None:
                    from .errors import unknown
                    from .names import ALL_PARAMS
                    raise unknown("parameter", k, ALL_PARAMS, where=key)
                out[f"{key}.{name}"] = plain(v, f"{key}.{k}")
        elif param_name(key) is not None:
            out[f"params.{param_name(key)}"] = plain(value, key)
        else:
            raise WrongType(f"unexpected keyword argument {quoted(key)}; expected a parameter "
                            f"(w_x, w_h, w_y, b_h, b_y, h_0, or a gate's), x, y, params, data, "
                            f"{listing(SETTINGS)}", where=key)
    return out


def check_str(value, where: str, what: str = "a name") -> str:
    """`value` if it is a str; else a TypeError naming the argument."""
    if not isinstance(value, str):
        raise WrongType(f"expected {what}, found {_kind(value)} {repr(value)[:60]}",
                        where=where)
    return value


def check_choice(value, where: str, options) -> str:
    """One of `options` (a str); else a ValueError naming the argument and the options."""
    check_str(value, where, "one of: " + listing(options))
    if value not in options:
        raise InputError(f"unknown value {quoted(value)}; expected one of: {listing(options)}",
                         where=where)
    return value


def check_int(value, where: str, low: int, high: int | None = None) -> int:
    """An int between low and high; a TypeError or ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongType(f"expected a whole number, found {_kind(value)} "
                        f"{quoted(repr(value))}", where=where)
    if value < low or high is not None and value > high:
        raise InputError(f"expected a number from {low}" + (f" to {high}" if high else "")
                         + f", found {value}", where=where)
    return value
