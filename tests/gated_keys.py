"""Print the answer keys of the gated examples in examples.toml, computed by PyTorch's
LSTMCell/GRUCell (tests/torch_cells.py), never by rnn_cli. Run once from the repository's top
level when a gated example changes, then paste its output under the problem:

    python tests/gated_keys.py
"""

import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from torch_cells import run   # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"lstm_1unit": ["i_1", "f_1", "g_1", "og_1", "c_1", "h_1", "f_2", "og_2", "c_2", "h_2",
                       "L", "dL/dh_1", "dL/dc_1", "dL/dw_xf", "dL/dw_hf", "dL/db_f",
                       "dL/dw_xi", "dL/dw_xg", "dL/dw_ho", "dL/dw_y", "dL/dh_0", "dL/dc_0"],
        "gru_2unit": ["r_1", "z_1", "n_1", "h_1", "h_3", "L", "dL/dh_2", "dL/dw_hz",
                      "dL/dw_xn", "dL/db_xn", "dL/db_hn", "dL/dw_y", "dL/dh_0"]}


def fmt(t, matrix: bool = False) -> str:
    """A number, a vector [a, b], or (a weight's gradient) a matrix [[a, b], [c, d]]."""
    t = t.detach()
    rows = t.tolist() if matrix and t.dim() == 2 and t.numel() > 1 else t.reshape(-1).tolist()
    f = lambda v: f"{v:.6f}".rstrip("0").rstrip(".") if abs(v) > 0 else "0"
    if isinstance(rows[0], list):
        return "[" + ", ".join("[" + ", ".join(f(v) for v in r) + "]" for r in rows) + "]"
    return f(rows[0]) if len(rows) == 1 else "[" + ", ".join(f(v) for v in rows) + "]"


def main():
    doc = tomllib.loads((ROOT / "examples.toml").read_text())
    for name, keys in KEYS.items():
        grads, values = run(doc[name])
        print(f"# Computed with PyTorch's {doc[name]['cell'].upper()}Cell in float64 "
              "(tests/gated_keys.py), rounded to 6 decimals.")
        print(f"[{name}.answers]")
        for k in keys:
            if k.startswith("dL/d"):
                q = k[4:]
                v = grads[q] if q in grads else values[q].grad
            else:
                v = values[k]
            text = fmt(v, matrix=k.startswith("dL/dw_"))
            print(f'"{k}" = {text}' if "/" in k else f"{k} = {text}")
        print()


if __name__ == "__main__":
    main()
