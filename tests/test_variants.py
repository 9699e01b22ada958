"""`variants`: every answer of every variant checked by an oracle written here (the linear RNN
of Assignment 3 by hand, in Fractions), pleasant and non-degenerate; the files byte for byte
the same on a second run; a student's variant independent of the others."""

import os
import re
import tomllib
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rnn_cli.cli import app

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


def oracle(p: dict, d: dict) -> tuple[dict, list]:
    """The seed's network by hand: h_t = w_h h_{t-1} + w_x x_t, y_hat_t = w_y h_t,
    L = sum (y_hat_t - y_t)^2; every answer of the key, and the three paths of dL/dw_h."""
    q = {k: Fraction(str(v)) for k, v in p.items()}
    x = [Fraction(str(v)) for v in d["x"]]
    y = [Fraction(str(v)) for v in d["y"]]
    wx, wh, wy, h0 = q["w_x"], q["w_h"], q["w_y"], q["h_0"]
    h1 = wh * h0 + wx * x[0]
    h2 = wh * h1 + wx * x[1]
    yh1, yh2 = wy * h1, wy * h2
    e1, e2 = 2 * (yh1 - y[0]), 2 * (yh2 - y[1])          # dL_t/dy_hat_t
    dh2 = e2 * wy
    dh1 = e1 * wy + dh2 * wh
    paths = [e1 * wy * h0, e2 * wy * h1, e2 * wy * wh * h0]   # L_1 via h_0; L_2 via h_1, h_0
    out = {"h_1": h1, "h_2": h2, "y_hat_1": yh1, "y_hat_2": yh2,
           "L_1": (yh1 - y[0]) ** 2, "L_2": (yh2 - y[1]) ** 2,
           "L": (yh1 - y[0]) ** 2 + (yh2 - y[1]) ** 2,
           "dL/dh_2": dh2, "dL/dh_1": dh1, "dL/dh_0": dh1 * wh,
           "dL/dw_h": sum(paths), "dL/dw_x": dh1 * x[0] + dh2 * x[1],
           "dL/dw_y": e1 * h1 + e2 * h2,
           "dL_1/dw_h": paths[0], "dL_2/dw_h": paths[1] + paths[2],
           "dL_1/dh_1": e1 * wy, "dL_2/dh_1": e2 * wy * wh}
    return out, paths


def pleasant(v: Fraction) -> bool:
    """At most 2 decimals and 4 significant digits (the Done-when of issue 18)."""
    cents = v * 100
    return cents.denominator == 1 and len(str(abs(cents.numerator)).rstrip("0")) <= 4


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("class")
    r = _run("variants", "assignment3", "--count", 200, "--seed", 1, "-o", out / "a")
    assert r.exit_code == 0, r.output
    r2 = _run("variants", "assignment3", "--count", 200, "--seed", 1, "-o", out / "b")
    assert r2.exit_code == 0, r2.output
    return out


def test_two_hundred_variants_checked_by_hand(made):
    keys = tomllib.loads((made / "a" / "keys.toml").read_text())
    assert list(keys) == [f"s{i:03}" for i in range(1, 201)]
    seen = set()
    for sid, table in keys.items():
        p, d = table["params"], table["data"]
        seen.add((tuple(sorted((k, str(v)) for k, v in p.items())), str(d)))
        want, paths = oracle(p, d)
        got = {k: Fraction(str(v)) for k, v in table["answers"].items()}
        assert got == want, sid
        assert all(pleasant(v) for v in want.values()), (sid, want)
        assert want["dL/dw_x"] and want["dL/dw_h"] and want["dL/dw_y"], sid
        assert all(paths), (sid, paths)                      # the h_0 paths included
        assert want["y_hat_1"] != Fraction(str(d["y"][0])), sid
        assert want["y_hat_2"] != Fraction(str(d["y"][1])), sid
        # the problem handed out is the key's, without answers, and names its student
        sheet = tomllib.loads((made / "a" / "problems" / f"{sid}.toml").read_text())
        assert sheet["student"] == sid and "answers" not in sheet
        assert sheet["params"] == p and sheet["data"] == d
        assert (made / "a" / "sheets" / f"{sid}.md").read_text().count(sid) >= 2
    assert len(seen) == 200                                   # 200 distinct variants


def test_same_seed_same_bytes(made):
    a = sorted(p.relative_to(made / "a") for p in (made / "a").rglob("*") if p.is_file())
    b = sorted(p.relative_to(made / "b") for p in (made / "b").rglob("*") if p.is_file())
    assert a == b and len(a) == 401
    for rel in a:
        assert (made / "a" / rel).read_bytes() == (made / "b" / rel).read_bytes(), rel


def test_a_new_student_changes_no_one_else(tmp_path):
    (tmp_path / "r1.csv").write_text("email,name\nann@uni.edu,Ann\nbo@uni.edu,Bo\n")
    (tmp_path / "r2.csv").write_text("name,email\nCy,cy@uni.edu\nAnn,ann@uni.edu\n"
                                     "Bo,bo@uni.edu\n")
    assert _run("variants", "assignment3", "--roster", tmp_path / "r1.csv", "--seed", "x",
                "-o", tmp_path / "one").exit_code == 0
    r = _run("variants", "assignment3", "--roster", tmp_path / "r2.csv", "--id-column",
             "email", "--seed", "x", "-o", tmp_path / "two")
    assert r.exit_code == 0, r.output
    for sid in ("ann@uni.edu", "bo@uni.edu"):
        one = (tmp_path / "one" / "problems" / f"{sid}.toml").read_bytes()
        assert one == (tmp_path / "two" / "problems" / f"{sid}.toml").read_bytes()
    other = _run("variants", "assignment3", "--roster", tmp_path / "r1.csv", "--seed", "y",
                 "-o", tmp_path / "three")
    assert other.exit_code == 0
    assert (tmp_path / "three" / "keys.toml").read_text() != \
        (tmp_path / "one" / "keys.toml").read_text()


@pytest.mark.parametrize("roster, message", [
    ("id\n../../etc/passwd\n", "not one a file can be named by"),
    ("id\nann\nANN\n", "repeats line 2"),
    ("id\n", "no student"),
])
def test_bad_rosters_are_one_line(tmp_path, roster, message):
    (tmp_path / "r.csv").write_text(roster)
    r = _run("variants", "assignment3", "--roster", tmp_path / "r.csv", "--seed", 1, "-o",
             tmp_path / "out")
    assert r.exit_code == 2
    assert message in r.output and "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


def test_unknown_id_column_lists_the_columns(tmp_path):
    (tmp_path / "r.csv").write_text("email,name\na@b.c,A\n")
    r = _run("variants", "assignment3", "--roster", tmp_path / "r.csv", "--id-column",
             "mail", "--seed", 1, "-o", tmp_path / "out")
    assert r.exit_code == 2 and "email" in r.output and "did you mean" in r.output


def relu_dead_oracle(p, d):
    """relu_dead's pre-activations by hand: a_t = w_h h_{t-1} + w_x x_t + b_h."""
    q = {k: Fraction(str(v)) for k, v in p.items()}
    h, out = q["h_0"], []
    for x in d["x"]:
        a = q["w_h"] * h + q["w_x"] * Fraction(str(x)) + q["b_h"]
        out.append(a)
        h = max(a, Fraction(0))
    return out


def test_relu_dead_keeps_its_dead_step(tmp_path):
    r = _run("variants", "relu_dead", "--count", 15, "--seed", 3, "-o", tmp_path)
    assert r.exit_code == 0, r.output
    for sid, table in tomllib.loads((tmp_path / "keys.toml").read_text()).items():
        a = relu_dead_oracle(table["params"], table["data"])
        assert a[0] > 0 and a[1] < 0 and a[2] > 0, (sid, a)  # as the original: 1, -1.5, 1


def test_vary_table_and_a_shared_variant_warns(tmp_path):
    (tmp_path / "p.toml").write_text(
        'activation = "identity"\n[params]\nw_x = 1\nw_h = 0.5\nw_y = 2\nh_0 = 1\n'
        '[data]\nx = [1, 2]\ny = [1, 1]\n[vary]\nw_x = "integers 1..2"\n'
        'y = "3..4 by 0.5"\n')
    r = _run("variants", tmp_path / "p.toml", "--count", 30, "--seed", 1, "-o",
             tmp_path / "out")
    assert r.exit_code == 0, r.output
    assert "share a variant" in r.output          # 2 x 3 x 3 draws for 30 students
    keys = tomllib.loads((tmp_path / "out" / "keys.toml").read_text())
    for t in keys.values():
        assert t["params"]["w_x"] in (1, 2) and t["params"]["w_h"] == 0.5
        assert all(v in (3, 3.5, 4) for v in t["data"]["y"])


@pytest.mark.parametrize("spec", ['"1..x"', '"integers 1.5..3"', '[]', '"3..1"'])
def test_bad_vary_is_one_line(tmp_path, spec):
    (tmp_path / "p.toml").write_text(
        '[params]\nw_x = 1\nw_h = 0.5\nw_y = 2\n[data]\nx = [1, 2]\ny = [1, 1]\n'
        f'[vary]\nw_x = {spec}\n')
    r = _run("variants", tmp_path / "p.toml", "--count", 2, "--seed", 1, "-o", tmp_path / "o")
    assert r.exit_code == 2 and "vary" in r.output and "Traceback" not in r.output


def test_latex_sheets(tmp_path):
    r = _run("variants", "tanh_bias", "--count", 2, "--seed", 1, "-o", tmp_path,
             "--format", "latex")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "sheets" / "s001.tex").read_text()
    assert text.startswith("\\documentclass") and "\\end{document}" in text


@pytest.mark.parametrize("name", ["tanh_bias", "sigmoid_bce", "softmax_2unit", "lstm_1unit",
                                  "gru_2unit", "relu_last", "mean_half_squared"])
def test_every_builtin_problem_varies(tmp_path, name):
    r = _run("variants", name, "--count", 3, "--seed", 5, "-o", tmp_path)
    assert r.exit_code == 0, r.output
    keys = tomllib.loads((tmp_path / "keys.toml").read_text())
    assert len(keys) == 3
    # the keys are themselves answer keys that check finds correct
    c = _run("check", tmp_path / "keys.toml", "--format", "json")
    assert c.exit_code == 0, c.output


# -- names from outside: the TOML files and the terminal ------------------------------------------

SMALL = ('w_x = 1\nw_h = 1\nw_y = 2\n', 'x = [1, 1]\ny = [5, 5]\n')
_C0_C1 = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _basic(s: str) -> str:
    """A TOML basic string written here by hand (\\uXXXX for every character that is not
    plain ASCII), so the test does not lean on the writer it tests."""
    return '"' + "".join(c if 0x20 <= ord(c) < 0x7f and c not in '"\\' else f"\\u{ord(c):04x}"
                         for c in s) + '"'


def _answers_of(keys: Path, student: str) -> str:
    """The text of [student.answers] in a keys file, as a submission's [answers] table."""
    lines = keys.read_text(encoding="utf-8").split(f"[{student}.answers]\n", 1)[1]
    return "[answers]\n" + lines.split("\n\n", 1)[0] + "\n"


@pytest.mark.parametrize("name", [
    'inj\nstudent = "evil"\n#', "esc\x1b]0;owned\x07", "bell\x07", "del\x7f", "csi\x9b31m",
    'q"uote', "back\\slash", "&e;", "<img src=x onerror=alert(1)>"])
def test_a_name_from_outside_writes_valid_toml(tmp_path, name):
    """A file name and a title holding newlines, escapes, quotes or markup: every file written
    parses, the title reads back as it was, the keys check and a submission checks against
    them, and the terminal shows no control character raw. (A title with a control character
    is refused when the problem is read, so those names are the file's alone.)"""
    title = None if re.search("[\x00-\x1f\x7f-\x9f]", name) else name
    src = tmp_path / f"{name}.toml"
    head = "" if title is None else f"title = {_basic(title)}\n"
    src.write_text(f"{head}[params]\n{SMALL[0]}[data]\n{SMALL[1]}",
                   encoding="utf-8")
    r = _run("variants", src, "--count", 2, "--seed", name, "-o", tmp_path / "out")
    assert r.exit_code == 0, r.output
    assert not _C0_C1.search(r.stdout), repr(r.stdout)
    keys = tmp_path / "out" / "keys.toml"
    parsed = tomllib.loads(keys.read_text(encoding="utf-8"))
    assert set(parsed) == {"s001", "s002"}
    for sid in parsed:
        assert parsed[sid]["student"] == sid and parsed[sid].get("title") == title
        problem = tmp_path / "out" / "problems" / f"{sid}.toml"
        mine = tomllib.loads(problem.read_text(encoding="utf-8"))
        assert (mine["student"], mine.get("title")) == (sid, title)
        sheet = (tmp_path / "out" / "sheets" / f"{sid}.md").read_text(encoding="utf-8")
        assert not _C0_C1.search(sheet)
    assert _run("check", keys).exit_code == 0
    sub = tmp_path / "sub.toml"
    sub.write_text((tmp_path / "out" / "problems" / "s002.toml").read_text(encoding="utf-8")
                   + "\n" + _answers_of(keys, "s002"), encoding="utf-8")
    r = _run("check", sub, "--keys", keys)
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("seed", ["1\n[x]", "2\x1b[2J", 'a"b\\c'])
def test_any_seed_leaves_the_files_valid(tmp_path, seed):
    """--seed takes any text (the docs): it reaches the files' comments as one line."""
    r = _run("variants", "assignment3", "--count", 1, "--seed", seed, "-o", tmp_path / "o")
    assert r.exit_code == 0, r.output
    for f in (tmp_path / "o" / "keys.toml", tmp_path / "o" / "problems" / "s001.toml"):
        text = f.read_text(encoding="utf-8")
        tomllib.loads(text)
        assert not _C0_C1.search(text)
        assert text.splitlines()[0].startswith("#") and text.splitlines()[1].startswith("#")


@pytest.mark.parametrize("text", ["del\x7f", "nul\x00", "tab\tnl\n", "c1\x85\x9b", 'q"b\\',
                                  "rlo\u202e", "é, 日本", "&e;<b>"])
def test_every_string_and_key_reads_back(text):
    """The one TOML writer of the variants' files (sheets.value and sheets.key, through
    safe.toml): what tomllib reads back is the text, and no control character is raw."""
    from rnn_cli.render import sheets
    written = f"{sheets.key(text)} = {sheets.value(text)}\n"
    assert tomllib.loads(written) == {text: text}
    assert not re.search("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202e]", written[:-1])


@pytest.mark.parametrize("target", ["-", "/dev/stdout", "/dev/null", "fifo", "file.txt", ""])
def test_the_output_must_be_a_folder(tmp_path, monkeypatch, target):
    """-o names a folder: standard output, a device, a FIFO or a file is refused before any
    work (exit 2, one line naming --output), and nothing is created."""
    monkeypatch.chdir(tmp_path)
    os.mkfifo("fifo")
    Path("file.txt").write_text("mine")
    before = sorted(p.name for p in tmp_path.iterdir())
    r = _run("variants", "assignment3", "--count", 1, "--seed", 1, "-o", target)
    assert r.exit_code == 2, r.output
    assert r.output.startswith(f"rnn-solve: error: --output{' ' if target else ''}{target}: "
                               "expected a folder")
    assert len(r.output.splitlines()) == 1 and "Traceback" not in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert Path("file.txt").read_text() == "mine"
