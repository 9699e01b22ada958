"""Issue 17: outputs that respect what a path is, check bounded, names that cannot inject,
no traceback on any stream, encoding or signal. Real processes where the stream matters."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import xml.dom.minidom
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from rnn_cli.model import files, safe

ROOT = Path(__file__).resolve().parents[1]
KEY = ('[params]\nw_x = 1\nw_h = 1\nw_y = 2\n[data]\nx = [1, 1]\ny = [5, 5]\n'
       '[answers]\nh_1 = 2\ny_hat_1 = 3\n')


def cli(*args, cwd, env=None, stdout=subprocess.PIPE, timeout=120):
    e = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
             **(env or {}))
    return subprocess.run([sys.executable, "-m", "rnn_cli", *args], cwd=cwd, env=e,
                          stdout=stdout, stderr=subprocess.PIPE, timeout=timeout)


def one_line(r, code):
    err = r.stderr.decode()
    assert r.returncode == code, (r.returncode, err[-2000:])
    assert "Traceback" not in err and len(err.splitlines()) == 1, err[-2000:]
    return err


# -- 1. output paths ----------------------------------------------------------------------------

def test_a_fifo_receives_the_report_and_stays_a_fifo(tmp_path):
    (tmp_path / "k.toml").write_text(KEY)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    r = cli("check", "k.toml", "--format", "junit", "-o", str(fifo), cwd=tmp_path)
    reader.join(30)
    assert r.returncode == 1, r.stderr
    assert fifo.is_fifo()
    xml.dom.minidom.parseString(got[0])


@pytest.mark.parametrize("target", ["-", "/dev/stdout"])
def test_stdout_by_name(tmp_path, target):
    (tmp_path / "k.toml").write_text(KEY)
    r = cli("check", "k.toml", "--format", "json", "-o", target, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["passed"] is False


@pytest.mark.parametrize("link", ["symlink", "hardlink", "same"])
@pytest.mark.parametrize("command", [["check", "k.toml", "-o"],
                                     ["explain", "vanishing", "-f", "k.toml", "--plot"],
                                     ["graph", "-f", "k.toml", "--format", "dot", "-o"]])
def test_an_output_that_is_an_input_is_refused(tmp_path, link, command):
    k = tmp_path / "k.toml"
    k.write_text(KEY)
    other = {"symlink": "l.toml", "hardlink": "h.toml", "same": "k.toml"}[link]
    if link == "symlink":
        os.symlink("k.toml", tmp_path / other)
    elif link == "hardlink":
        os.link(k, tmp_path / other)
    err = one_line(cli(*command, other, cwd=tmp_path), 2)
    assert "same file as the input" in err
    assert k.read_text() == KEY


def test_write_output_never_replaces_a_device(tmp_path):
    from rnn_cli.model.outputs import write_output
    write_output("/dev/null", "report\n")
    assert Path("/dev/null").is_char_device()


# -- 2. check bounded -----------------------------------------------------------------------------

def test_the_budget_is_reported_per_answer_and_in_json(monkeypatch, tmp_path):
    from rnn_cli.teach import budget
    from rnn_cli.render.checkout import check_json
    from rnn_cli.teach.check import check_files
    monkeypatch.setattr(budget, "DIAGNOSIS_BUDGET", 1)
    (tmp_path / "k.toml").write_text(KEY.replace("[data]\nx = [1, 1]", "[data]\nx = [1, 1]")
                                     + '"dL/dw_h" = 1\n')
    report = check_json(check_files([tmp_path / "k.toml"]))
    wrong = [r for r in report["results"] if r["verdict"] == "wrong"]
    spent = [r for r in wrong if r.get("diagnosed") is False]
    assert spent, report
    assert all(r["diagnosis"][0].startswith("not diagnosed: the diagnosis budget of this run "
                                            "is spent (1 step") for r in spent)


def test_too_many_answers_is_that_files_error(tmp_path):
    from rnn_cli.teach.budget import MAX_ANSWERS
    from rnn_cli.teach.check import check_files
    many = "\n".join(f"h_{t} = 1" for t in range(1, MAX_ANSWERS + 2))
    xs = ", ".join(["1"] * (MAX_ANSWERS + 1))
    (tmp_path / "big.toml").write_text(f"[params]\nw_x = 1\nw_h = 1\nw_y = 1\n[data]\n"
                                       f"x = [{xs}]\ny = [{xs}]\n[answers]\n{many}\n")
    (tmp_path / "k.toml").write_text(KEY)
    report = check_files([tmp_path / "big.toml", tmp_path / "k.toml"])
    assert len(report.errors) == 1 and f"at most {MAX_ANSWERS}" in report.errors[0]
    assert {r.file for r in report.results} == {str(tmp_path / "k.toml")}


# -- 3. linear scans --------------------------------------------------------------------------------

SHAPES = {
    "basic": lambda n: 'title = "' + '\\"' * n,
    "literal": lambda n: "title = '" + "a'b" * n,
    "multi-line": lambda n: 'title = """' + '\\"' * n,
    "multi-line literal": lambda n: "title = '''" + "''a" * n,
    "dotted keys": lambda n: "a" + ".a" * n + " = 1",
    "brackets": lambda n: "x = " + "[" * n,
}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_scan_is_linear(shape):
    """Tokens double when the input doubles, and no quote is ever a failed string attempt
    (a quote tokenised as 'other' is what made the old scan start again at every
    character: quadratic)."""
    counts = []
    for n in (5_000, 10_000, 20_000):
        toks = list(files.tokens(SHAPES[shape](n)))
        assert not [t for k, t in toks if k == "other" and t in "\"'"]
        assert sum(len(t) for _, t in toks) == len(SHAPES[shape](n))   # each character once
        counts.append(len(toks))
    assert counts[2] - counts[1] <= 2.2 * (counts[1] - counts[0]) + 2


# -- 4. one sanitiser ---------------------------------------------------------------------------------

CONTROL = [chr(c) for c in (*range(0x20), *range(0x7f, 0xa0))] + list("<>&\"'[]()!`*_|\\#")
NAMES = st.text(alphabet=st.sampled_from(CONTROL + list("ab e;")), min_size=1, max_size=12)


def _raw_controls(text: str) -> list:
    return [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0]


@settings(max_examples=60, deadline=None)
@given(NAMES)
def test_every_format_escapes_a_name(name):
    from markdown_it import MarkdownIt
    assert not _raw_controls(safe.visible(name))
    doc = xml.dom.minidom.parseString(f'<a t="{safe.xml(name)}">{safe.xml(name)}</a>')
    assert doc.documentElement.getAttribute("t") == safe.visible(name)
    html = MarkdownIt("commonmark").render(safe.markdown(name))
    assert "<a " not in html and not any(f"<{t}" in html for t in ("img", "script", "b>"))
    assert "<" not in html.replace("<p>", "").replace("</p>", "").replace("<br", "")


def hostile_key(tmp_path: Path) -> Path:
    name = "p\u001b]0;owned\u0007\u001b[2J&e;<img src=x onerror=alert(1)>[l](http://x)\u0085"
    q = json.dumps(name)
    title = json.dumps("T <img src=x onerror=alert(1)> [l](http://x) &e;")
    f = tmp_path / "evil\x1b[2J&e;<b>.toml"
    f.write_text(f"[{q}]\ntitle = {title}\n[{q}.params]\nw_x = 1\nw_h = 1\nw_y = 2\n"
                 f"[{q}.data]\nx = [1, 1]\ny = [5, 5]\n[{q}.answers]\nh_1 = 2\ny_hat_1 = 3\n")
    return f


# each command with each of its formats (svg is drawn by Graphviz, which CI installs)
FORMATS = {("forward",): ("table", "markdown", "json", "latex"),
           ("grad", "--wrt", "w_h"): ("table", "markdown", "json", "latex"),
           ("check",): ("table", "markdown", "json", "latex", "junit"),
           ("graph", "--grad"): ("dot", "svg")}


@pytest.mark.parametrize("command, fmt", [(list(c), f) for c, fs in FORMATS.items()
                                          for f in fs])
def test_a_hostile_problem_in_every_command_and_format(tmp_path, command, fmt):
    from markdown_it import MarkdownIt
    f = hostile_key(tmp_path)
    args = [*command, str(f.name)] if command[0] == "check" else [*command, "-f", f.name]
    r = cli(*args, "--format", fmt, cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    out = r.stdout.decode()
    assert not _raw_controls(out)
    if fmt in ("junit", "svg"):
        xml.dom.minidom.parseString(r.stdout)
    if fmt == "markdown":
        html = MarkdownIt("commonmark").render(out)
        assert "<img" not in html and "<a " not in html and "<b>" not in html


# -- 5. streams, encodings, terminals, signals ---------------------------------------------------------

@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_full_disk_exits_3_with_one_line(tmp_path, fmt):
    with open("/dev/full", "wb") as full:
        r = cli("forward", "--format", fmt, cwd=tmp_path, stdout=full)
    assert "standard output" in one_line(r, 3)


@pytest.mark.parametrize("env, extra", [({"PYTHONIOENCODING": "ascii"}, []),
                                        ({"PYTHONIOENCODING": "cp1252"}, []),
                                        ({}, ["--ascii"])])
@pytest.mark.parametrize("command", [["forward"], ["grad", "--wrt", "w_h"],
                                     ["explain", "vanishing"], ["forward", "--format", "json"]])
def test_ascii_output(tmp_path, env, extra, command):
    r = cli(*command, *extra, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.isascii() and r.stdout.strip()
    if "json" in command:
        json.loads(r.stdout)


@pytest.mark.parametrize("columns", ["0", "-3", "wide", ""])
def test_columns_that_is_not_a_width(tmp_path, columns):
    r = cli("forward", cwd=tmp_path, env={"COLUMNS": columns})
    assert r.returncode == 0 and b"L_1 + L_2" in r.stdout, r.stderr


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3])
def test_ctrl_c_at_start(tmp_path, delay):
    """The console script (python -m spends its first 40 ms in runpy, before any line of
    the package can run)."""
    e = dict(os.environ, PYTHONPATH=str(ROOT))
    script = Path(sys.executable).parent / "rnn-solve"
    if not script.exists():
        pytest.skip("needs the installed console script")
    # a gradient that takes seconds (T = 2,000 with --of h_T takes the 50-digit path), so
    # the signal always arrives before it ends
    long = tmp_path / "long.toml"
    long.write_text('activation = "tanh"\n[params]\nw_x = 0.5\nw_h = 0.9\nw_y = 1\n'
                    f'[data]\nx = {[1] * 2000}\ny = {[0] * 2000}\n')
    proc = subprocess.Popen([str(script), "grad", "--of", "h_2000", "--wrt", "all",
                             "--style", "delta", "-f", str(long)], cwd=tmp_path, env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # until the interpreter has a handler for SIGINT, a Ctrl-C kills it before any Python
    # runs (on a loaded machine that is more than 50 ms): start counting from there
    status = Path(f"/proc/{proc.pid}/status")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        caught = [l for l in status.read_text().splitlines() if l.startswith("SigCgt:")]
        if caught and int(caught[0].split()[1], 16) & (1 << (signal.SIGINT - 1)):
            break
        time.sleep(0.001)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (proc.returncode, err)
    assert err.decode().strip().splitlines() == ["rnn-solve: interrupted"], err


def test_ctrl_c_while_the_options_are_parsed(monkeypatch, capsys):
    """typer answers a Ctrl-C during the parsing of the options with a silent exit status
    130; the console script adds the one line."""
    import signal
    from rnn_cli import cli
    before = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(cli, "app", lambda standalone_mode: 130)
    try:
        with pytest.raises(SystemExit) as e:
            cli.main()
    finally:
        signal.signal(signal.SIGINT, before)
    assert e.value.code == 130
    assert capsys.readouterr().err == "rnn-solve: interrupted\n"


def test_ctrl_c_after_the_answer_keeps_the_exit_status(monkeypatch):
    """Once the answer is out, Python's teardown would put back the default handler and a
    Ctrl-C would kill the process silently: the console script ignores it from there."""
    import signal
    from rnn_cli import cli
    before = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(cli, "app", lambda standalone_mode: 1)
    try:
        with pytest.raises(SystemExit) as e:
            cli.main()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
    assert e.value.code == 1


def test_ctrl_c_inside_the_app_of_a_real_process(tmp_path):
    """A KeyboardInterrupt that reaches the console script's main, in a process where the
    package installed its handler (argv[0] is rnn-solve): one line, exit 130."""
    code = ("import os, signal, sys\n"
            "sys.argv = ['rnn-solve', 'forward']\n"
            "import rnn_cli.cli as c\n"
            "def app(standalone_mode):\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "    for _ in range(10**8): pass\n"
            "c.app = app\n"
            "c.main()\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert (r.returncode, r.stderr.decode()) == (130, "rnn-solve: interrupted\n")


# -- 6. internal errors ----------------------------------------------------------------------------------

def test_an_internal_error_exits_3_with_one_line(monkeypatch):
    from typer.testing import CliRunner
    from rnn_cli import api
    from rnn_cli.cli import app

    def broken(*a, **k):
        raise RuntimeError("injected")
    monkeypatch.setattr(api, "derive_forward", broken)
    r = CliRunner().invoke(app, ["forward"])
    assert r.exit_code == 3
    assert r.stderr.startswith("rnn-solve 0.1.0: internal error: RuntimeError: injected; "
                               "please report it; RNN_SOLVE_DEBUG=1 shows the traceback")


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_k1_answers_written_as_one_number_are_scored(tmp_path, cell):
    import numpy as np
    # the forward pass by hand (numpy): H = 2, K = 1, tanh, identity output
    wx, wh, wy = np.array([[0.5], [0.2]]), np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[1., 1.]])
    h = np.tanh(wx @ [[1.0]])
    y1 = float((wy @ h)[0, 0])
    params = ("w_x = [[0.5], [0.2]]\nw_h = [[0.1, 0.2], [0.3, 0.4]]\nw_y = [[1, 1]]\n"
              if cell == "rnn" else "w_y = [[1, 1]]\n")
    k = tmp_path / "k.toml"
    k.write_text(f'cell = "{cell}"\nactivation = "tanh"\n[params]\n{params}h_0 = [0, 0]\n'
                 f"[data]\nx = [1, 1, 1]\ny = [0.5, 0.5, 0.5]\n[answers]\n"
                 f'y_hat_1 = {y1:.4f}\no_2 = 0.1\n"dL/do_3" = 0.2\n"dL/db_y" = 3\n')
    r = cli("check", "k.toml", "--format", "json", cwd=tmp_path)
    assert r.returncode in (1, 2) and b"Traceback" not in r.stderr, r.stderr
    if r.returncode == 1:
        results = {x["name"]: x["verdict"] for x in json.loads(r.stdout)["results"]}
        assert set(results) == {"y_hat_1", "o_2", "dL/do_3", "dL/db_y"}
        if cell == "rnn":
            assert results["y_hat_1"] == "correct"


# -- 7-9 ----------------------------------------------------------------------------------------------------

def test_all_steps_past_its_limit_is_refused(tmp_path):
    from rnn_cli.cli import MAX_ALL_STEPS_T
    T = MAX_ALL_STEPS_T + 1
    xs = ", ".join(["1"] * T)
    (tmp_path / "p.toml").write_text(f"[params]\nw_x = 1\nw_h = 0.5\nw_y = 1\n[data]\n"
                                     f"x = [{xs}]\ny = [{xs}]\n")
    for command in (["forward"], ["grad", "--wrt", "w_h"], ["graph", "--grad"]):
        err = one_line(cli(*command, "--all-steps", "-f", "p.toml", cwd=tmp_path), 2)
        assert "--all-steps" in err and f"{MAX_ALL_STEPS_T:,}" in err


def test_a_flag_value_is_one_line(tmp_path):
    err = one_line(cli("forward", "--w-h", "[1]\nx = 3", cwd=tmp_path), 2)
    assert "--w-h" in err and "one line" in err


def test_an_empty_row_says_so(tmp_path):
    (tmp_path / "p.toml").write_text("[params]\nw_x = 1\nw_h = [[]]\nw_y = 1\n[data]\n"
                                     "x = [1]\ny = [1]\n")
    err = one_line(cli("forward", "-f", "p.toml", cwd=tmp_path), 2)
    assert "row 1 is empty" in err


def test_help_examples_on_their_own_lines(tmp_path):
    r = cli("explain", "--help", cwd=tmp_path, env={"COLUMNS": "200"})
    lines = [l for l in r.stdout.decode().splitlines() if "Example:" in l]
    assert len(lines) == 3 and all(l.count("Example:") == 1 for l in lines)


def _long_key(T: int) -> str:
    """Forward and gradient answers, each wrong, on a tanh problem of T steps."""
    answers = [f'"{k}_{t}" = {t + 2}' for t in range(1, 6) for k in ("h", "y_hat", "dL/dh")]
    return ('activation = "tanh"\n[params]\nw_x = 0.5\nw_h = 0.9\nw_y = 2\n[data]\n'
            f"x = {[0.5] * T}\ny = {[0.25] * T}\n[answers]\n" + "\n".join(answers)
            + '\n"dL/dw_h" = 1\n"dL/dw_x" = 2\n')


def test_the_gradients_replay_from_the_forward_one_as_if_replayed_again(monkeypatch, tmp_path):
    """The gradient answers' replay starts where the forward answers' ended (Graph.head):
    the same verdicts and diagnoses, the budget charged as much and spent at the same answer
    as when it computes the forward steps again, wherever the budget runs out."""
    from rnn_cli.render.checkout import check_json
    from rnn_cli.teach import budget
    from rnn_cli.teach.check import Graph, Report, check_problem
    from rnn_cli.model.files import read_toml
    from rnn_cli.model.problem import build
    (tmp_path / "k.toml").write_text(_long_key(201))     # T > 200: only these replays charge
    problem = build(read_toml(tmp_path / "k.toml"), "k", "k.toml")
    value_in, evaluated = budget.value_in, [0]

    def counted(e, env):
        evaluated[0] += 1
        return value_in(e, env)

    def run(limit: int, shared: bool):
        monkeypatch.setattr(budget, "DIAGNOSIS_BUDGET", limit)
        with monkeypatch.context() as m:
            m.setattr(budget, "value_in", counted)
            if not shared:
                m.setattr(Graph, "head", lambda self: None)
            memo, evaluated[0] = {}, 0
            results, _ = check_problem(problem, problem.answers, "k.toml", memo)
        b = memo["budget"]
        # past the limit one charge of the forward steps' number overshoots where charges
        # one at a time stop: how far is never shown, whether it is spent is
        return check_json(Report(tuple(results))), b.spent, min(b.used, limit + 1), evaluated[0]

    _, _, total, alone = run(10 ** 6, shared=False)
    _, _, used, computed = run(10 ** 6, shared=True)
    forward = alone - computed          # the forward steps, replayed once instead of twice
    assert used == total == alone and forward > 0
    for limit in (total - 1, total - forward // 2, 2 * forward - 1, forward // 2):
        assert run(limit, shared=True)[:3] == run(limit, shared=False)[:3], limit
