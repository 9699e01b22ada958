"""`rnn-solve graph`: the unrolled network's nodes, edges, values and gradients, as DOT read
back by a small parser written here, as SVG drawn by Graphviz, and as a terminal drawing."""

import io
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from xml.etree import ElementTree as ET

import mpmath
import pytest

from conftest import ROOT, SEED, SEED_TABLES, load, problem_of
import oracle
from rnn_cli.teach.graph import unroll
from rnn_cli.render.graph import graph_dot, graph_view

NO_DOT = "Graphviz's dot is not installed (Debian: apt-get install graphviz)"

# -- a parser for the DOT subset the command writes -------------------------------------------

_STRING = r'"((?:[^"\\]|\\.)*)"'
_NODE = re.compile(rf"^\s*{_STRING}\s*\[(.*)\];\s*$")
_EDGE = re.compile(rf"^\s*{_STRING}\s*->\s*{_STRING}\s*(\[.*\])?;\s*$")
_ATTR = re.compile(rf"(\w+)=(?:{_STRING}|([^,\s\]]+))")


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], s)


def parse_dot(text: str) -> tuple[dict[str, dict], set[tuple[str, str]]]:
    """(node id -> its attributes, the set of edges) of a digraph written one statement a
    line."""
    lines = text.splitlines()
    assert lines[1].startswith("digraph ") and lines[-1] == "}", lines[:2]
    nodes, edges = {}, set()
    for line in lines[2:-1]:
        if m := _EDGE.match(line):
            edges.add((_unescape(m[1]), _unescape(m[2])))
        elif m := _NODE.match(line):
            nodes[_unescape(m[1])] = {k: _unescape(q) if q is not None else bare
                                      for k, q, bare in _ATTR.findall(m[2])}
        else:
            assert re.match(r"^\s*(\w+=[^;]*|node \[.*\]|edge \[.*\]);$", line), line
    return nodes, edges


def seed_dot(*args) -> str:
    return cli("graph", *args, "--format", "dot")


def cli(*args, code: int = 0, env=None) -> str:
    r = subprocess.run([sys.executable, "-m", "rnn_cli", *args], capture_output=True, text=True,
                       cwd=ROOT, env=env or {**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert r.returncode == code, r.stderr
    return r.stdout if code == 0 else r.stderr


# -- the seed, by hand ------------------------------------------------------------------------

# forward: h_1 = 1*1 + 0.1*10 = 2, h_2 = 1*2 + 1 = 3, y_hat_t = 2 h_t, L_t = (y_hat_t - 5)^2
SEED_VALUES = {"w_x": "1/10", "w_h": 1, "w_y": 2, "b_h": 0, "b_y": 0, "h_0": 1,
               "x_1": 10, "a_1": 2, "h_1": 2, "o_1": 4, "y_hat_1": 4, "L_1": 1,
               "x_2": 10, "a_2": 3, "h_2": 3, "o_2": 6, "y_hat_2": 6, "L_2": 1, "L": 2}
# backward: dL/dy_hat_t = 2(y_hat_t - 5): -2 and 2; dL/dh_2 = 2 w_y = 4; dL/dh_1 =
# -2 w_y + 4 w_h = 0; dL/dh_0 = 0 w_h = 0; dL/dw_h = 0 h_0 + 4 h_1 = 8; dL/dw_x = 0*10 + 4*10;
# dL/dw_y = -2*2 + 2*3 = 2; dL/db_h = 0 + 4; dL/db_y = -2 + 2
SEED_GRADS = {"w_x": 40, "w_h": 8, "w_y": 2, "b_h": 4, "b_y": 0, "h_0": 0,
              "a_1": 0, "h_1": 0, "o_1": -2, "y_hat_1": -2, "L_1": 1,
              "a_2": 4, "h_2": 4, "o_2": 2, "y_hat_2": 2, "L_2": 1, "L": 1}
SEED_EDGES = {("h_0", "a_1"), ("x_1", "a_1"), ("w_h", "a_1"), ("w_x", "a_1"), ("b_h", "a_1"),
              ("a_1", "h_1"), ("h_1", "o_1"), ("w_y", "o_1"), ("b_y", "o_1"),
              ("o_1", "y_hat_1"), ("y_hat_1", "L_1"), ("L_1", "L"),
              ("h_1", "a_2"), ("x_2", "a_2"), ("w_h", "a_2"), ("w_x", "a_2"), ("b_h", "a_2"),
              ("a_2", "h_2"), ("h_2", "o_2"), ("w_y", "o_2"), ("b_y", "o_2"),
              ("o_2", "y_hat_2"), ("y_hat_2", "L_2"), ("L_2", "L")}


def test_seed_dot_values_and_edges_by_hand():
    nodes, edges = parse_dot(seed_dot())
    assert set(nodes) == set(SEED_VALUES)
    for name, want in SEED_VALUES.items():
        assert Fraction(nodes[name]["value"]) == Fraction(want), name
        assert f"= {want if name != 'w_x' else '0.1'}" in nodes[name]["label"].splitlines()
        assert "grad" not in nodes[name]          # no --grad: values only
    assert edges == SEED_EDGES


def test_seed_dot_gradients_by_hand():
    nodes, _ = parse_dot(seed_dot("--grad"))
    for name, want in SEED_GRADS.items():
        assert Fraction(nodes[name]["grad"]) == want, name
        assert f"dL/d{name} = {want}" in nodes[name]["label"].splitlines(), name
    assert "grad" not in nodes["x_1"]


def test_tanh_values_and_gradients_match_the_oracle():
    """tanh with biases over three steps: each node's value and dL/d(node) against the
    independent mpmath oracle (forward pass written out, derivatives by finite differences)."""
    d = {"activation": "tanh", "params": {"w_x": 0.5, "w_h": -0.8, "w_y": 1.5, "b_h": 0.1,
                                          "b_y": -0.2, "h_0": 0.3},
         "data": {"x": [1, -2, 0.5], "y": [0.2, -0.4, 0.9]}}
    nodes, _ = parse_dot(graph_dot(unroll(problem_of(d), grads=True), digits=6))
    values = oracle.evaluate(d)
    for name, attrs in nodes.items():
        if name.startswith("x_"):
            continue
        slope = oracle.derivative(d, f"dL/d{name}") if name != "L" else 1
        with mpmath.workdps(60):     # the attributes carry 50 digits
            assert mpmath.almosteq(mpmath.mpf(attrs["value"]), values[name], 1e-40), name
            assert mpmath.almosteq(mpmath.mpf(attrs["grad"]), slope, 1e-30, 1e-30), name


def test_vector_problem_labels_are_short_matrices():
    nodes, _ = parse_dot(cli("graph", "--problem", "softmax_2unit", "--grad", "--format",
                             "dot"))
    # the dL/dw_h of the golden file vector_grad.txt, checked there against PyTorch
    assert "dL/dw_h = [0.2225 -0.6295; 0.7019 0.7759]" in nodes["w_h"]["label"]
    assert nodes["w_h"]["label"].splitlines()[1] == "= [0.5 -0.3; 0.2 0.4]"


def test_long_sequence_folds_into_one_node():
    p = problem_of({**SEED, "data": {"x": [1] * 10, "y": [1] * 10}})
    g = unroll(p, grads=True, keep=(2, 2))
    assert g.shown == (1, 2, 9, 10) and g.fold.steps == 6
    nodes, edges = parse_dot(graph_dot(g))
    assert nodes["steps_3_8"]["label"] == "… 6 steps (3 to 8) …"
    assert {("h_2", "steps_3_8"), ("steps_3_8", "a_9"), ("steps_3_8", "L")} <= edges
    assert not any(n.startswith(("h_5", "a_3", "x_8")) for n in nodes)


# -- images and the terminal ------------------------------------------------------------------

def test_svg_is_drawn(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip(NO_DOT)
    out = tmp_path / "net.svg"
    out.write_text("old")                     # replaced whole
    cli("graph", "--grad", "--format", "svg", "-o", str(out))
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    texts = {t.text for t in root.iter() if t.tag.endswith("text")}
    assert {"h_2", "= 3", "dL/dh_2 = 4", "dL/dw_h = 8"} <= texts
    assert [p.name for p in tmp_path.iterdir()] == ["net.svg"]   # no temporary file left


def test_png_is_drawn(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip(NO_DOT)
    out = tmp_path / "net.png"
    cli("graph", "--format", "png", "-o", str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_png_needs_a_file():
    err = cli("graph", "--format", "png", code=2)
    assert err.count("\n") == 1 and "-o FILE" in err


def test_missing_graphviz_is_one_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": str(tmp_path)}   # no dot there
    err = cli("graph", "--format", "svg", code=2, env=env)
    assert err.count("\n") == 1 and "Graphviz" in err and "apt-get install graphviz" in err
    assert "Traceback" not in err


def drawing(problem, keep=(2, 1), width=100) -> str:
    from rich.console import Console
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(graph_view(unroll(problem, grads=True, keep=keep)))
    return console.file.getvalue()


def test_seed_drawing_at_100_columns(seed):
    text = drawing(seed)
    assert max(map(len, text.splitlines())) <= 100
    for box, lines in {"h_2": ("= 3", "∂ 4"), "y_hat_1": ("= 4", "∂ -2"),
                       "w_h": ("= 1", "∂ 8"), "L": ("= 2", "∂ 1")}.items():
        assert f"┌ {box} ─" in text, box
        for line in lines:
            assert line in text, (box, line)
    assert "───►│" in text and "└─►│" in text     # h_0 into a_1, h_1 into a_2


FOUR_VECTOR_STEPS = {"params": {"w_h": [[0.5, -0.3], [0.2, 0.4]], "w_x": [[1], [0.5]],
                                 "w_y": [[1.2, -0.7], [0.4, 0.9], [-1, 0.3]]},
                      "activation": "tanh", "output": "softmax", "loss": "cross_entropy",
                      "data": {"x": [1, -2, 0.5, 3], "y": [1, 3, 2, 1]}}


@pytest.mark.parametrize("name", ["relu_last", "tanh_bias", "mean_half_squared", "vector"])
def test_four_steps_fit_100_columns(name):
    p = problem_of(FOUR_VECTOR_STEPS) if name == "vector" else load(None, name)
    text = drawing(p)
    assert max(map(len, text.splitlines())) <= 100, name
    assert "steps folded" not in text


def test_long_sequence_drawing_folds(seed):
    p = problem_of({**SEED, "activation": "tanh", "params": {**SEED["params"], "w_h": 0.5},
                    "data": {"x": list(range(1, 9)), "y": list(range(1, 9))}})
    text = drawing(p)
    assert max(map(len, text.splitlines())) <= 100
    assert "5 steps folded" in text and "5 steps" in text and "3 to 7" in text
    assert "t = 1" in text and "t = 2" in text and "t = 8" in text and "t = 3" not in text


def test_cli_text_drawing(tmp_path):
    out = cli("graph", "--grad", env={**os.environ, "PYTHONPATH": str(ROOT),
                                      "COLUMNS": "100"})
    assert "┌ dL" not in out and "┌ h_2" in out and "∂ 8" in out
    f = tmp_path / "net.txt"
    cli("graph", "--grad", "-o", str(f))
    assert "┌ h_2" in f.read_text(encoding="utf-8")


def test_never_writes_over_the_problem_file(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text(SEED_TABLES, encoding="utf-8")
    err = cli("graph", "--file", str(f), "--format", "dot", "-o", str(f), code=2)
    assert "is one of the input files" in err and err.count("\n") == 1
    assert f.read_text(encoding="utf-8") == SEED_TABLES


def test_a_hostile_problem_name_stays_inside_its_quotes(tmp_path):
    """A name with a quote, a line break and DOT syntax is one quoted string; Graphviz
    draws the file."""
    name = 'a"b\nc} // x -> "L"; node [label=PWNED]'
    key = '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    f = tmp_path / "p.toml"
    f.write_text(f"[{key}]\ntitle = 't'\n" + SEED_TABLES.replace("[params]", f"[{key}.params]")
                 .replace("[data]", f"[{key}.data]"), encoding="utf-8")
    text = cli("graph", "-f", str(f), "--format", "dot")
    nodes, edges = parse_dot(text)
    assert edges == SEED_EDGES and "PWNED" not in "".join(n["label"] for n in nodes.values())
    if shutil.which("dot") is not None:
        cli("graph", "-f", str(f), "--format", "svg", "-o", str(tmp_path / "p.svg"))


def test_a_target_inside_the_fold_still_reaches_L():
    """One target, at step 5 of 8: the fold carries it into L (by hand: h_5 = 1*h_4 + 0.1*5
    with h_0 = 1 and x = 1..5 gives 1 + 0.1 * 15 = 2.5, y_hat_5 = 5, L = (5 - 3)^2 = 4)."""
    p = problem_of({**SEED, "outputs": [5], "data": {"x": list(range(1, 9)), "y": [3]}})
    g = unroll(p, grads=True, keep=(2, 1))
    assert (g.fold.id, "L") in g.edges and g.node("L").value == 4
    text = drawing(p)
    assert "│ = 4 " in text and "┌ L_" not in text
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if "┌ L ─" in line)
    # one line from the fold's top border into L: no other box joins it
    assert re.fullmatch(r"\s*┌─+┐\s*", lines[row - 1]), lines[row - 1]
    assert lines[row].count("▼") == 1 and lines[row].count("┴") == 1


def _columns(line: str, ch: str) -> list[int]:
    return [i for i, c in enumerate(line) if c == ch]


def test_each_loss_has_its_own_line_into_L(seed):
    """L = L_1 + L_2: each L_t leaves by its own top border into one line above the L row,
    which runs into L from above; nothing joins L_1 and L_2 side by side."""
    lines = drawing(seed).splitlines()
    row = next(i for i, line in enumerate(lines) if "┌ L ─" in line)
    box = lines[row]
    assert "┌ L_1 " in box and "┌ L_2 " in box
    bus = lines[row - 1]
    assert re.fullmatch(r"\s*┌─+┬─+┐\s*", bus), bus
    # the bus turns down exactly over L's ▼ and over the ┴ of each L_t
    assert _columns(bus, "┌") == _columns(box, "▼")
    assert _columns(bus, "┬") + _columns(bus, "┐") == _columns(box, "┴")
    assert box.index("┌ L_1") < _columns(box, "┴")[0] < box.index("┌ L_2") < \
        _columns(box, "┴")[1]
    # the L boxes' rows hold no line between the boxes (L_2 does not feed L_1)
    for line in lines[row + 1:row + 4]:
        assert not re.search(r"│[─◄►]+│", line), line
    assert "◄" not in "\n".join(lines[row - 1:row + 4])


def _pos(attrs) -> tuple[float, float]:
    x, y = attrs["pos"].rstrip("!").split(",")
    return float(x), float(y)


def test_dot_positions_follow_the_terminal_drawing():
    """As in the terminal: the weights in a row above everything, left to right w_x w_h w_y
    b_h b_y; L at the left of the L_t row; h_0 at the left of the a_t row; a column per step
    with x_t at the bottom and L_t at the top (DOT's y grows upwards)."""
    nodes, _ = parse_dot(seed_dot("--grad"))
    pos = {name: _pos(a) for name, a in nodes.items()}
    weights = ["w_x", "w_h", "w_y", "b_h", "b_y"]
    others = [n for n in pos if n not in weights]
    assert min(pos[w][1] for w in weights) > max(pos[n][1] for n in others)
    assert len({pos[w][1] for w in weights}) == 1
    assert [pos[w][0] for w in weights] == sorted(pos[w][0] for w in weights)
    for t in (1, 2):
        column = [f"x_{t}", f"a_{t}", f"h_{t}", f"o_{t}", f"y_hat_{t}", f"L_{t}"]
        assert len({pos[n][0] for n in column}) == 1
        assert [pos[n][1] for n in column] == sorted(pos[n][1] for n in column)
        assert pos["L"][0] < pos[f"L_{t}"][0] and pos["h_0"][0] < pos[f"a_{t}"][0]
    assert pos["x_1"][0] < pos["x_2"][0]
    assert pos["L"][1] == pos["L_1"][1] and pos["h_0"][1] == pos["a_1"][1]
    assert pos["L"][0] == pos["h_0"][0]


def test_dot_boxes_do_not_overlap(tmp_path):
    """Graphviz's own drawing of the 2-unit problem (wide matrix labels): no two node boxes
    overlap."""
    if shutil.which("dot") is None:
        pytest.skip(NO_DOT)
    out = tmp_path / "net.svg"
    cli("graph", "--problem", "softmax_2unit", "--grad", "--format", "svg", "-o", str(out))
    boxes = []
    for g in ET.parse(out).getroot().iter():
        if g.tag.endswith("g") and g.get("class") == "node":
            path = next(e for e in g if e.tag.endswith(("path", "polygon")))
            nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?",
                                                  path.get("d") or path.get("points"))]
            xs, ys = nums[0::2], nums[1::2]
            boxes.append((min(xs), max(xs), min(ys), max(ys)))
    assert len(boxes) == 6 + 6 * 3 + 1          # the weights and h_0, 6 per step, L
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2], (a, b)
