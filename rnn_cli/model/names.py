"""Quantity names (spec section 2): parameters, per-step quantities and derivatives."""

import re
from dataclasses import dataclass

from .errors import InputError, quoted, unknown

PARAMS = ("w_x", "w_h", "w_y", "b_h", "b_y", "h_0")
ALIASES = {
    "w_x": ("w_xh", "u"), "w_h": ("w_hh", "w"), "w_y": ("w_hy", "v"),
    "b_h": ("b",), "b_y": ("c",), "h_0": ("h0",),
}

# -- gated cells ------------------------------------------------------------------------------
# LSTM gates in PyTorch's order (input, forget, candidate, output); the output gate is og_t,
# its parameters w_xo, w_ho, b_o, so that o_t stays the output layer's pre-activation.
# GRU gates in PyTorch's order (reset, update, new); n_t's two biases are b_xn (PyTorch's
# b_in, outside the reset gate) and b_hn (inside it), as PyTorch needs both.
CELLS = ("rnn", "lstm", "gru")
LSTM_PARAMS = tuple(f"{k}{g}" for g in "ifgo" for k in ("w_x", "w_h", "b_"))
GRU_PARAMS = ("w_xr", "w_hr", "b_r", "w_xz", "w_hz", "b_z", "w_xn", "w_hn", "b_xn", "b_hn")
CELL_PARAMS = {"rnn": PARAMS,
               "lstm": LSTM_PARAMS + ("w_y", "b_y", "h_0", "c_0"),
               "gru": GRU_PARAMS + ("w_y", "b_y", "h_0")}
ALL_PARAMS = tuple(dict.fromkeys(p for ps in CELL_PARAMS.values() for p in ps))
# PyTorch's W_ii, W_if, ... (input-hidden) name our w_xi, w_xf, ...; its b_in is our b_xn
ALIASES.update({f"w_x{g}": (f"w_i{g}",) for g in "ifgorzn"})
ALIASES.update({"b_xn": ("b_in",), "c_0": ("c0",)})
for _p in ALL_PARAMS:
    ALIASES.setdefault(_p, ())
# the cell's per-step quantities: gates, their pre-activations (a + the gate's letter), states
CELL_STEPS = {"rnn": ("a", "h"),
              "lstm": ("ai", "i", "af", "f", "ag", "g", "ao", "og", "c", "h"),
              "gru": ("ar", "r", "az", "z", "hn", "an", "n", "h")}

_PARAM_OF = {alias: p for p, names in ALIASES.items() for alias in (p, *names)}

# per-step quantities: canonical base, and the spellings accepted for it
STEP_BASES = {"a": ("a",), "h": ("h",), "o": ("o",), "y_hat": ("y_hat", "yhat", "ŷ"),
              "L": ("l", "e", "j"),
              **{b: (b,) for bs in CELL_STEPS.values() for b in bs if b not in ("a", "h")}}
_STEP_OF = {s: base for base, spellings in STEP_BASES.items() for s in spellings}
TOTAL = ("l", "e", "j")
MAX_NAME = 100

# The grammar of a name: letters (ŷ is one), an optional _hat, an optional underscore, a step
# number; then an optional entry [i] or [i,j]. Digits are ASCII: int() would also read
# Arabic-Indic or full-width ones. A name is matched, never evaluated.
_STEP = re.compile(r"(?P<base>[^\W\d_]+(?:_hat)?)_?(?P<t>[0-9]{1,9})", re.UNICODE)
_INDEX = re.compile(r"(?P<name>[^\[\]]*?)\[[ \t]*(?P<i>[0-9]{1,9})[ \t]*"
                    r"(?:,[ \t]*(?P<j>[0-9]{1,9})[ \t]*)?\]")


@dataclass(frozen=True)
class Quantity:
    """A named value of the model: `base` is a parameter, a step base or 'L'; t is its step."""
    base: str
    t: int | None = None
    index: tuple[int, ...] = ()

    def __str__(self) -> str:
        name = self.base if self.t is None else f"{self.base}_{self.t}"
        return name + (f"[{','.join(map(str, self.index))}]" if self.index else "")

    @property
    def is_param(self) -> bool:
        return self.base in ALL_PARAMS


def param_name(key: str) -> str | None:
    """The canonical name of a parameter written under any alias ('W_hh' -> 'w_h'), or None."""
    return _PARAM_OF.get(key.lower()) if isinstance(key, str) else None


def parse_quantity(text: str, where: str = "") -> Quantity:
    """Read one quantity name: 'W_hh' is w_h, 'h2' is h_2, 'yhat_1' is y_hat_1, 'E' is L."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_NAME:
        found = quoted(text, 40) if isinstance(text, str) else type(text).__name__
        raise InputError(f"expected a quantity name (at most {MAX_NAME} characters), found "
                         f"{found}", where=where)
    name = text.strip()
    index: tuple[int, ...] = ()
    if m := _INDEX.fullmatch(name):
        name = m["name"]
        index = tuple(int(g) for g in (m["i"], m["j"]) if g is not None)
        if any(i < 1 for i in index):
            raise InputError(f"{text!r}: entries are numbered from 1", where=where)
    key = name.lower()
    if key in _PARAM_OF:
        return Quantity(_PARAM_OF[key], None, index)
    if key in TOTAL:
        return Quantity("L", None, index)
    if (m := _STEP.fullmatch(name)) and m["base"].lower() in _STEP_OF:
        base, t = _STEP_OF[m["base"].lower()], int(m["t"])
        if base in ("h", "c") and t == 0:
            return Quantity(f"{base}_0", None, index)
        return Quantity(base, t, index)
    raise unknown("quantity", text, ["w_x", "w_h", "w_y", "b_h", "b_y", "h_0", "a_t", "h_t",
                                     "o_t", "y_hat_t", "L_t", "L", "dA/dB"], where=where)


def split_derivative(text: str) -> tuple[str, str] | None:
    """'dL/dw_h' or '∂L_2/∂h_1' as ('L', 'w_h'); None when `text` is not a derivative."""
    t = text.strip()
    if "/" not in t:
        return None
    top, _, bottom = t.partition("/")
    top, bottom = top.strip(), bottom.strip()
    for d in ("d", "∂"):
        if top.startswith(d) and bottom.startswith(d) and len(top) > 1 and len(bottom) > 1:
            return top[1:], bottom[1:]
    return None


@dataclass(frozen=True)
class Name:
    """What an answer or --of/--wrt names: a quantity, or the derivative d(of)/d(wrt)."""
    of: Quantity | None
    wrt: Quantity

    def __str__(self) -> str:
        return str(self.wrt) if self.of is None else f"d{self.of}/d{self.wrt}"


def parse_name(text: str, where: str = "") -> Name:
    """A quantity or a derivative of one quantity with respect to another."""
    if not isinstance(text, str):
        raise InputError(f"expected a quantity name, found {type(text).__name__}", where=where)
    parts = split_derivative(text)
    if parts is None:
        return Name(None, parse_quantity(text, where))
    try:
        return Name(parse_quantity(parts[0], where), parse_quantity(parts[1], where))
    except InputError as e:       # say which derivative the unknown part belongs to
        raise type(e)(f"in the derivative {quoted(text)}: {e.args[0]}", where=where) from None
