"""Issue 17: outputs that respect what a path is, check bounded, names that cannot inject,
no traceback on any stream, encoding or signal. Real processes where the stream matters."""

import json
import itertools
import os
import re
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
from rnn_cli.model.errors import InputError

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


@pytest.mark.parametrize("target, fd", [("/dev/stdout", 1), ("/dev/fd/1", 1),
                                        ("/proc/self/fd/1", 1), ("/dev/stderr", 2),
                                        ("/dev/fd/2", 2), ("/dev/fd/7", 7)])
def test_a_descriptor_by_name_is_written_where_it_is(tmp_path, target, fd):
    """`rnn-solve forward -o /dev/stdout >> log`: the log keeps what it held and gets the
    answer after it; renaming a new file over the path replaced the log, and opening it
    anew would truncate it."""
    log = tmp_path / "log.txt"
    log.write_text("OLD\n")
    e = dict(os.environ, PYTHONPATH=str(ROOT))
    redirect = {1: ">>", 2: "2>>", 7: "7>>"}[fd]
    r = subprocess.run(["bash", "-c", f'exec "$0" -m rnn_cli forward -o {target} '
                        f'{redirect} log.txt', sys.executable], cwd=tmp_path, env=e,
                       capture_output=True, timeout=120)
    assert r.returncode == 0
    text = log.read_text()
    assert text.startswith("OLD\nassignment3") and "L_1 + L_2" in text, text[:300]


def test_a_descriptor_that_is_not_open_is_refused(tmp_path):
    err = one_line(cli("forward", "-o", "/dev/fd/9", cwd=tmp_path), 2)
    assert "--output /dev/fd/9" in err and "not open" in err


def test_check_writes_its_table_to_a_file_as_plain_text(tmp_path):
    """`check -o report.txt` (format table) wrote Markdown; the table is written as the
    terminal shows it, without colour (h_2 = relu(1 * 2 + 0.5 * 1) = 2.5, given 3.5)."""
    (tmp_path / "k.toml").write_text('activation = "relu"\n[params]\nw_x = 1\nw_h = 0.5\n'
                                     'w_y = 2\n[data]\nx = [1, 2]\ny = [0, 0]\n[answers]\n'
                                     'h_2 = 3.5\n')
    r = cli("check", "k.toml", "-o", "report.txt", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    text = (tmp_path / "report.txt").read_text()
    assert "##" not in text and "\x1b" not in text
    row = next(line for line in text.splitlines() if "h_2" in line)
    assert row.startswith("│") and all(w in row for w in ("3.5", "2.5", "wrong")), row


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


@pytest.mark.parametrize("command", [["explain", "vanishing"], ["graph"],
                                     ["graph", "--format", "dot"], ["forward"],
                                     ["grad", "--wrt", "w_h"]])
def test_a_weights_file_named_inside_the_problem_is_an_input_too(tmp_path, command):
    import hashlib
    import numpy as np
    np.savez(tmp_path / "w.npz", W_xh=np.array([[0.5]]), W_hh=np.array([[0.9]]),
             W_hy=np.array([[1.0]]), b_h=np.zeros((1, 1)), b_y=np.zeros((1, 1)))
    (tmp_path / "pw.toml").write_text('weights = "w.npz"\n[data]\nx = [1, 2]\ny = [0, 1]\n')
    before = hashlib.md5((tmp_path / "w.npz").read_bytes()).hexdigest()
    r = cli(*command, "-f", "pw.toml", "-o", "w.npz", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.decode() == ("rnn-solve: error: --output w.npz: is the same file as the "
                                 "input w.npz: an output is never written over an input\n")
    assert hashlib.md5((tmp_path / "w.npz").read_bytes()).hexdigest() == before


@pytest.mark.parametrize("output, fmt", [("w.npz", "table"), ("link.npz", "json"),
                                         ("w.npz", "junit")])
def test_check_never_writes_over_a_weights_file_a_problem_names(tmp_path, output, fmt):
    """check refuses a weights problem (it takes exact ones) without reading the .npz; its
    report was then written over it. The same file by a symbolic link too."""
    (tmp_path / "w.npz").write_bytes(b"PK\x03\x04 not read")
    (tmp_path / "link.npz").symlink_to("w.npz")
    (tmp_path / "pw.toml").write_text('weights = "w.npz"\n[data]\nx = [1, 2]\ny = [0, 1]\n'
                                      "[answers]\nh_1 = 0.5\n")
    (tmp_path / "seed.toml").write_bytes((ROOT / "docs" / "examples" / "seed.toml").read_bytes())
    r = cli("check", "seed.toml", "pw.toml", "--format", fmt, "-o", output, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert (f"--output {output}: is the same file as the input w.npz").encode() in r.stderr
    assert (tmp_path / "w.npz").read_bytes() == b"PK\x03\x04 not read"


def test_a_class_check_never_writes_over_a_weights_file_a_submission_names(tmp_path):
    """With --keys a submission's own `weights` is not read (the key holds the problem); the
    gradebook was written over the .npz it names."""
    assert cli("variants", "assignment3", "--count", "2", "--seed", "1", "-o", "cls",
               cwd=tmp_path).returncode == 0
    (tmp_path / "w.npz").write_bytes(b"PK\x03\x04 not read")
    (tmp_path / "sub.toml").write_text('weights = "w.npz"\n' + (
        tmp_path / "cls" / "problems" / "s001.toml").read_text(encoding="utf-8")
        + "[answers]\nh_1 = 1\n", encoding="utf-8")
    r = cli("check", "sub.toml", "--keys", "cls/keys.toml", "-o", "w.npz", "--format", "csv",
            cwd=tmp_path)
    assert "--output w.npz: is the same file as the input w.npz" in one_line(r, 2)
    assert (tmp_path / "w.npz").read_bytes() == b"PK\x03\x04 not read"


def test_variants_never_write_over_the_problem_they_read(tmp_path):
    assert cli("variants", "assignment3", "--seed", "a", "--count", "2", "-o", "vv",
               cwd=tmp_path).returncode == 0
    source = tmp_path / "vv" / "problems" / "s001.toml"
    before = source.read_bytes()
    r = cli("variants", "vv/problems/s001.toml", "--seed", "b", "--count", "2", "-o", "vv",
            cwd=tmp_path)
    assert r.returncode == 2
    assert "is the same file as the input vv/problems/s001.toml" in r.stderr.decode()
    assert source.read_bytes() == before


def test_two_outputs_of_one_command_need_two_files(tmp_path):
    r = cli("explain", "vanishing", "--plot", "p.png", "-o", "p.png", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, b"")
    assert r.stderr.decode() == ("rnn-solve: error: --output p.png: is also the path given to "
                                 "--plot: each output needs a file of its own\n")
    assert not (tmp_path / "p.png").exists()


def test_an_empty_output_name_is_bad_input(tmp_path):
    r = cli("forward", "-o", "", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.decode() == "rnn-solve: error: --output: expected a file name, found an empty one\n"


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


def test_the_answer_limit_counts_every_problem_of_the_file(tmp_path):
    """Two problems of 300 answers each: 600 in one file, over the limit of 500."""
    from rnn_cli.teach.check import check_files
    xs = ", ".join(["1"] * 300)
    body = "".join(f"[p{i}.params]\nw_x = 1\nw_h = 1\nw_y = 1\n[p{i}.data]\nx = [{xs}]\n"
                   f"y = [{xs}]\n[p{i}.answers]\n"
                   + "\n".join(f"h_{t} = 1" for t in range(1, 301)) + "\n" for i in (1, 2))
    (tmp_path / "two.toml").write_text(body)
    report = check_files([tmp_path / "two.toml"])
    assert report.results == ()
    assert report.errors == (f"{tmp_path / 'two.toml'}: answers: 600 answers in the file: at "
                             "most 500 are checked in one file (docs/limits.md)",)


def test_answers_times_steps_is_bounded_before_any_work(tmp_path):
    """21 answers at T = 10,000: 210,000 answer-steps, over 200,000; 20 would pass the count."""
    from rnn_cli.teach.check import check_files
    xs = ", ".join(["1"] * 10_000)
    answers = "\n".join(f'"dL/dh_{t}" = 1' for t in range(1, 22))
    (tmp_path / "long.toml").write_text(f"[params]\nw_x = 1\nw_h = 1\nw_y = 1\n[data]\n"
                                        f"x = [{xs}]\ny = [{xs}]\n[answers]\n{answers}\n")
    report = check_files([tmp_path / "long.toml"])
    assert report.results == ()
    assert len(report.errors) == 1
    assert "answers x steps is 210,000 in the file: at most 200,000" in report.errors[0]


def test_answers_times_steps_is_bounded_over_the_run(tmp_path, monkeypatch):
    """The files of one run share a limit too (800,000; 5 here): past it, each file is
    refused before any work on it, and the files before it are checked."""
    from rnn_cli.teach import budget
    from rnn_cli.teach.check import check_files
    monkeypatch.setattr(budget, "MAX_RUN_STEPS", 5)
    for i in (1, 2, 3):                     # 2 answers at T = 2: 4 answer-steps each
        (tmp_path / f"k{i}.toml").write_text(KEY)
    report = check_files([tmp_path / f"k{i}.toml" for i in (1, 2, 3)])
    assert {r.file for r in report.results} == {str(tmp_path / "k1.toml")}
    assert len(report.errors) == 2 and all("8 with the files checked before it: at most 5 "
                                           "in one run of check" in e for e in report.errors)


def test_a_run_keeps_the_derivations_of_few_long_problems():
    """The memo of a run drops the problems met before, oldest first, while the steps kept
    would pass MEMO_STEPS: a class of short variants keeps all, long keys one at a time."""
    from rnn_cli.teach.budget import MEMO_STEPS, derivations
    memo = {"budget": object()}
    for i in range(50):
        derivations(memo, ("short", i), 3)
    assert sum(1 for k in memo if k[0] == "short") == 50
    derivations(memo, "long 1", MEMO_STEPS - 3)
    assert sum(1 for k in memo if k[0] == "short") == 1 and "long 1" in memo
    derivations(memo, "long 2", MEMO_STEPS // 2)
    assert "long 1" not in memo and "long 2" in memo and "budget" in memo
    assert derivations(memo, "long 2", MEMO_STEPS // 2) is memo["long 2"]


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


def test_the_scan_hands_a_top_level_run_of_brackets_to_tomllib_at_once(monkeypatch):
    """`[[[...` is not TOML at its third character: the scan stops there (it read the whole
    megabyte before), and tomllib refuses it at once."""
    read = counted_matches(monkeypatch)
    with pytest.raises(InputError, match="not valid TOML"):
        files.parse_toml("[" * 100_000, "p.toml")
    assert len(read) <= 3


def counted_matches(monkeypatch) -> list:
    """The positions the scan matches a token at, from now on."""
    calls, match = [], files._TOKEN.match

    class Counting:
        def match(self, text, pos):
            calls.append(pos)
            return match(text, pos)
    monkeypatch.setattr(files, "_TOKEN", Counting())
    return calls


@pytest.mark.parametrize("text, what", [
    ("x = [" + "1, " * 300_000, "an array opened with [ is never closed"),
    ("x = [\n" + "[1.5, 2],\n" * 90_000, "an array opened with [ is never closed"),
    ("x = {" + "a = 1, " * 130_000, "an inline table opened with { is never closed"),
    ("\n" * 900_000 + "x = [1", "line 900001: an array opened with [ is never closed"),
    ("x = {" + "a = {b = 1}, " * 70_000, "an inline table opened with { is never closed"),
    ("x = {" + "a.b = 1, " * 100_000, "an inline table opened with { is never closed"),
    ("x = [" + '{a = {b = "c"}}, ' * 50_000, "an array opened with [ is never closed"),
    ("x = [" + "'', [[1], 2], " * 60_000, "an array opened with [ is never closed"),
    ("=" * 300_000, "not valid TOML"),             # the scan stops at the first of these,
    ("x = {" + "." * 300_000, "not valid TOML"),   # and tomllib refuses them at once (they
    ("a" + "..a" * 100_000, "not valid TOML"),     # took the scan a second token by token)
])
def test_an_array_never_closed_is_refused_by_the_scan_in_few_matches(monkeypatch, text, what):
    """A megabyte of array values without their ] took tomllib 2 s to refuse, and the scan a
    second token by token: it now skips the values' runs whole and names the opening line."""
    calls = counted_matches(monkeypatch)
    with pytest.raises(InputError, match=re.escape(what)):
        files.parse_toml(text, "p.toml")
    assert len(calls) < 50, len(calls)


def test_more_tables_than_any_key_needs_are_refused_before_parsing():
    text = "".join(f"[t{i}]\n" for i in range(files.MAX_TABLES + 1))
    with pytest.raises(InputError, match=f"line {files.MAX_TABLES + 1}: more than 10,000 tables"):
        files.parse_toml(text, "p.toml")
    files.parse_toml(text[:text.index(f"[t{files.MAX_TABLES}]")], "p.toml")   # 10,000 pass


# -- 4. one sanitiser ---------------------------------------------------------------------------------

CONTROL = [chr(c) for c in (*range(0x20), *range(0x7f, 0xa0))] + list("<>&\"'[]()!`*_|\\#") \
    + list("\u00ad\u200b\u200d\u2028\u2029\u202e\u2066\u2060\ufeff\U000e0041")   # invisible
NAMES = st.text(alphabet=st.sampled_from(CONTROL + list("ab e;")), min_size=1, max_size=12)


def _raw_controls(text: str) -> list:
    """C0 but newline and tab, DEL, C1, and the invisible characters (Unicode's format
    characters and line and paragraph separators: a zero-width space, U+2028, a tag)."""
    import unicodedata
    return [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0
            or unicodedata.category(c) in ("Cf", "Zl", "Zp")]


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


@pytest.mark.parametrize("ch", ["\u2028", "\u2029", "\u200b", "\u00ad", "\ufeff", "\U000e0041",
                                "\u3164", "\u034f"])
def test_an_invisible_character_in_a_title_is_refused(tmp_path, ch):
    """A title is printed as it is, so a character that reads other than it is written (a
    line separator, a zero-width space, an invisible tag) is refused, naming the key."""
    (tmp_path / "p.toml").write_text(f'title = "week{ch}3"\n[params]\nw_x = 1\nw_h = 1\n'
                                     "w_y = 2\n[data]\nx = [1]\ny = [1]\n", encoding="utf-8")
    err = one_line(cli("forward", "-f", "p.toml", cwd=tmp_path), 2)
    assert "p.toml: title: control or formatting characters" in err


def hostile_key(tmp_path: Path) -> Path:
    name = ("p\u001b]0;owned\u0007\u001b[2J&e;<img src=x onerror=alert(1)>[l](http://x)\u0085"
            "\u200b\u2028\ufeff\u00ad\U000e0041")
    q = json.dumps(name, ensure_ascii=False)     # TOML takes \uXXXX but no surrogate pair
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


def test_variants_with_ascii_write_ascii_files(tmp_path):
    """--ascii holds for the files variants writes: the sheets in ASCII forms, the TOML files
    with \\u escapes that read back as the title was (they kept é, σ and an emoji raw)."""
    title = "Caf\u00e9 \u03c3 \U0001F600"
    (tmp_path / "cafe.toml").write_text(
        f'title = "{title}"\n[params]\nw_x = 0.5\nw_h = 1\nw_y = 2\n[data]\nx = [1, 2]\n'
        "y = [1, 1]\n[answers]\nh_1 = 0.5\n", encoding="utf-8")
    r = cli("variants", "cafe.toml", "--count", "2", "--seed", "1", "-o", "va", "--ascii",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    written = sorted((tmp_path / "va").rglob("*.*"))
    assert len(written) == 5 and all(f.read_bytes().isascii() for f in written)
    import tomllib
    assert tomllib.loads((tmp_path / "va" / "problems" / "s001.toml").read_text())["title"] \
        == title


@pytest.mark.parametrize("command", [["check", "NAME", "--format", "json"],
                                     ["forward", "-f", "NAME", "--format", "json"],
                                     ["variants", "NAME", "--count", "1", "--seed", "1", "-o", "v"]])
def test_a_file_name_that_is_not_utf8(tmp_path, command):
    """A file name's undecodable bytes: JSON that reads (the raw bytes were written into
    it), and variants that run (their seed's hash could not encode the name: exit 3)."""
    name = os.fsdecode(b"bad\xff\xfe.toml")
    (tmp_path / name).write_bytes((ROOT / "docs" / "examples" / "seed.toml").read_bytes())
    r = cli(*[name if a == "NAME" else a for a in command], cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    if "json" in command:
        json.loads(r.stdout)


@pytest.mark.parametrize("extra", [["--ascii"], ["--ascii", "-o", "out.json"], []])
def test_ascii_json_of_arrays_is_json(tmp_path, extra):
    """A weights-file (arrays) problem's JSON under --ascii: é and an emoji as \\u escapes
    that read back as they were (the stream wrote \\xe9, which no JSON reader accepts)."""
    title = "caf\u00e9 \U0001F600"
    (tmp_path / "p.toml").write_text(f'title = "{title}"\n' + (
        ROOT / "docs" / "examples" / "cs231n-batch.toml").read_text(encoding="utf-8"))
    r = cli("forward", "-f", "p.toml", "--format", "json", *extra, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "out.json").read_bytes() if "-o" in extra else r.stdout
    assert json.loads(text)["title"] == "caf\u00e9 \U0001F600"
    assert text.isascii() == ("--ascii" in extra)


@pytest.mark.parametrize("env, extra", [({"PYTHONIOENCODING": "ascii"}, []),
                                        ({}, ["--ascii"])])
@pytest.mark.parametrize("command", [["check", str(ROOT / "keys" / "assignment3-handwritten.toml")],
                                     ["grad", "--wrt", "all"], ["explain", "vanishing"],
                                     ["explain", "lstm"], ["check", "long.toml"]])
@pytest.mark.parametrize("to_file", [False, True])
def test_ascii_tables_keep_their_columns(tmp_path, env, extra, command, to_file):
    """'✓ correct' is 'ok correct' and '→' is '->' in ASCII: one character wider. Each line
    of a table is as long as its top border (the rows were one character longer, and their
    right border out of line, when the text was translated after the layout). A file
    written with -o is ASCII too (it kept ✓ and the box lines)."""
    out = tmp_path / "out.txt"      # long.toml: an answer too long for its column (Rich cut
    (tmp_path / "long.toml").write_text((ROOT / "docs" / "examples" / "seed.toml").read_text()
                                        + '"dL_1/dw_h" = "2*(y_hat_1-y_1)*w_y*h_0 + 0*(h_1+h_2'
                                        + '+h_1+h_2' * 6 + ')"\n')      # it with a …)
    r = cli(*command, *extra, *(["-o", str(out)] if to_file else []), cwd=tmp_path, env=env)
    assert r.returncode in (0, 1), r.stderr
    text = out.read_bytes() if to_file else r.stdout
    lines, tables = text.decode("ascii").splitlines(), 0
    for i, line in enumerate(lines):
        if line.startswith("+-") and not (i and lines[i - 1].startswith(("|", "+"))):
            body = [b.rstrip() for b in itertools.takewhile(
                lambda b: b.startswith(("|", "+")), lines[i:])]
            assert {len(b) for b in body} == {len(body[0])}, "\n".join(body)
            tables += 1
    assert tables and ("check" not in command or "ok correct" in text.decode())


@pytest.mark.parametrize("args, says", [
    (["forward", "--bogus"], "no such option: --bogus"),
    (["forwrd"], "no such command 'forwrd'. Did you mean 'forward'? See rnn-solve --help."),
    (["grad"], "missing option '--wrt'; see rnn-solve grad --help"),
    (["grad", "--wrt"], "option '--wrt' requires an argument"),
    (["forward", "extra"], "unexpected extra argument"),
])
def test_a_usage_error_is_one_line(tmp_path, args, says):
    """click's four lines (usage, hint, a blank line, the error) are one, as every input
    error is (docs/limits.md)."""
    err = one_line(cli(*args, cwd=tmp_path), 2)
    assert err.startswith("rnn-solve: error: ") and says in err, err


@pytest.mark.parametrize("columns", ["0", "-3", "wide", ""])
def test_columns_that_is_not_a_width(tmp_path, columns):
    r = cli("forward", cwd=tmp_path, env={"COLUMNS": columns})
    assert r.returncode == 0 and b"L_1 + L_2" in r.stdout, r.stderr


@pytest.mark.parametrize("delay", [0, 0.05, 0.15, 0.3])
def test_ctrl_c_at_start(tmp_path, delay):
    """The console script, interrupted `delay` seconds after the package's first lines ran.
    The count starts there, not at the process's start: before it the interpreter is still
    starting (tens of milliseconds, more on a loaded machine), which no package can reach.
    `-X importtime` tells when: it writes a line as the import of `rnn_cli` ends."""
    e = dict(os.environ, PYTHONPATH=str(ROOT))
    script = Path(sys.executable).parent / "rnn-solve"
    assert script.exists(), "the tests need the installed console script"
    # a gradient that takes seconds (T = 2,000 with --of h_T takes the 50-digit path), so
    # the signal always arrives before it ends
    long = tmp_path / "long.toml"
    long.write_text('activation = "tanh"\n[params]\nw_x = 0.5\nw_h = 0.9\nw_y = 1\n'
                    f'[data]\nx = {[1] * 2000}\ny = {[0] * 2000}\n')
    proc = subprocess.Popen([sys.executable, "-X", "importtime", str(script), "grad", "--of",
                             "h_2000", "--wrt", "all", "--style", "delta", "-f", str(long)],
                            cwd=tmp_path, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for line in proc.stderr:
        if line.startswith(b"import time:") and line.split(b"|")[-1].strip() == b"rnn_cli":
            break
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, err[-2000:])
    lines = [l for l in err.decode().splitlines() if not l.startswith("import time:")]
    assert lines == ["rnn-solve: interrupted"], err[-2000:]


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


_SET_NAME = ("class Named:\n"
             "    def __set_name__(self, owner, name):\n"
             "        os.kill(os.getpid(), signal.SIGINT)\n"
             "        for _ in range(10**8): pass\n")


@pytest.mark.parametrize("where", ["import", "command"])
def test_ctrl_c_that_library_code_wraps_is_still_an_interrupt(tmp_path, where):
    """Python 3.11 wraps an exception raised in __set_name__ (run as a class is created,
    in an import) into a RuntimeError. A Ctrl-C there, while the modules load (the handler
    ends the process at once) or inside a command (the RuntimeError's cause is the
    KeyboardInterrupt), is one line and 130: it was a traceback and exit 1."""
    run = ("c.main()\n" if where == "import" else
           "from rnn_cli import streams\n"
           "@streams.guarded\n"
           "def cmd():\n"
           "    class Owner:\n"
           "        x = Named()\n"
           "cmd()\n")
    code = ("import os, signal, sys\n"
            "sys.argv = ['rnn-solve', 'forward']\n"
            "import rnn_cli.cli as c\n" + _SET_NAME +
            ("class Owner:\n    x = Named()\n" if where == "import" else "") + run)
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


# -- strings from outside in the CSV gradebook and in explain's text topics ---------------------

def _no_controls(data: bytes):
    """No C0 control but newline, carriage return and tab, no DEL and no C1 control, as
    characters of the decoded output (UTF-8 continuation bytes of box drawing and the like
    lie in 0x80-0xbf, so bytes alone cannot be checked for C1)."""
    text = data.decode("utf-8")
    bad = [c for c in text if (c < " " and c not in "\n\r\t") or "\x7f" <= c <= "\x9f"]
    assert not bad, bad


def test_csv_gradebook_shows_a_file_name_escaped(tmp_path):
    name = "k\x1b]0;owned\x07&e;<img src=x onerror=alert(1)>.toml"
    (tmp_path / name).write_text((ROOT / "keys" / "assignment3-handwritten.toml").read_text())
    r = cli("check", name, "--format", "csv", cwd=tmp_path)
    assert r.returncode in (0, 1) and b"Traceback" not in r.stderr, r.stderr
    _no_controls(r.stdout)
    assert safe.visible(name).encode() in r.stdout
    assert b"\\x1b]0;owned\\x07" in r.stdout


@pytest.mark.parametrize("topic", ["onehot", "seq2seq", "padding"])
def test_explain_text_topics_show_a_text_escaped(tmp_path, topic):
    from markdown_it import MarkdownIt
    text = "a\x1bb\x07<img src=x onerror=alert(1)>"
    for fmt in ("table", "markdown"):
        r = cli("explain", topic, "--text", text, "--text", "ab", "--format", fmt,
                cwd=tmp_path, env={"COLUMNS": "200"})
        assert r.returncode == 0 and b"Traceback" not in r.stderr, r.stderr
        _no_controls(r.stdout)
        assert b"\\x1b" in r.stdout
        if fmt == "markdown":
            assert "<img" not in MarkdownIt().render(r.stdout.decode())


# -- output that cannot be written outside a command's guard, closed streams ---------------------------

@pytest.mark.parametrize("args", [["--version"], ["forward", "--help"], ["--help"]])
def test_version_and_help_to_a_full_disk_exit_3_with_one_line(tmp_path, args):
    with open("/dev/full", "wb") as full:
        r = cli(*args, cwd=tmp_path, stdout=full)
    assert one_line(r, 3) == ("rnn-solve: error: cannot write to standard output: No space "
                              "left on device\n")


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_closed_stdout_exits_3_with_one_line(tmp_path, fmt):
    e = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-m", "rnn_cli", "forward", "--format", fmt],
                       cwd=tmp_path, env=e, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=120, preexec_fn=lambda: os.close(1))
    assert one_line(r, 3) == "rnn-solve: error: cannot write to standard output: it is closed\n"


@pytest.mark.parametrize("args, code", [(["forward", "--w-h", "abc"], 2),
                                        (["forward", "-p", "no_such_problem"], 2),
                                        (["forward", "--no-such-flag"], 2), (["forward"], 0)])
def test_an_unwritable_stderr_keeps_the_exit_status(tmp_path, args, code):
    e = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    with open("/dev/full", "wb") as full:
        r = subprocess.run([sys.executable, "-m", "rnn_cli", *args], cwd=tmp_path, env=e,
                           stdout=subprocess.PIPE, stderr=full, timeout=120)
    assert r.returncode == code


# -- graph and gated cells ------------------------------------------------------------------------------

@pytest.mark.parametrize("problem", ["lstm_1unit", "gru_2unit"])
@pytest.mark.parametrize("fmt", ["table", "svg"])
def test_graph_of_a_gated_cell_is_refused_in_one_line(tmp_path, problem, fmt):
    fmt = "text" if fmt == "table" else fmt     # graph's terminal drawing is --format text
    err = one_line(cli("graph", "-p", problem, "--grad", "--format", fmt, cwd=tmp_path), 2)
    assert problem in err and "RNN cell" in err and "internal error" not in err


@pytest.mark.parametrize("args", [["forward"], ["explain", "vanishing"], ["--version"],
                                  ["grad", "--help"]])
def test_a_reader_that_closes_the_pipe_first_ends_the_run_silently(tmp_path, args):
    """`rnn-solve forward | true`: the reader is gone before the first line is written (the
    interpreter takes a tenth of a second to start). Exit 0 and nothing on stderr: exit 1
    means wrong answers only (Rich and typer each answered with 1)."""
    e = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "rnn_cli", *args], cwd=tmp_path, env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read()
    assert (proc.wait(timeout=120), err) == (0, b"")


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


@pytest.mark.parametrize("fmt", ["table", "json", "junit"])
@pytest.mark.parametrize("h_2, code", [("2.5", 0), ("3.5", 1)])
def test_a_reader_that_leaves_does_not_change_checks_verdict(tmp_path, fmt, h_2, code):
    """`set -o pipefail; rnn-solve check key.toml | head`: the output ends silently and the
    exit status is still the verdict's (h_1 = relu(1 * 1) = 1, h_2 = relu(1 * 2 + 0.5 * 1)
    = 2.5, y_hat_2 = 2 * 2.5 = 5, worked by hand)."""
    (tmp_path / "k.toml").write_text('activation = "relu"\n[params]\nw_x = 1\nw_h = 0.5\n'
                                     'w_y = 2\n[data]\nx = [1, 2]\ny = [0, 0]\n[answers]\n'
                                     f'h_1 = 1\nh_2 = {h_2}\ny_hat_2 = 5\n')
    e = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "rnn_cli", "check", "k.toml", "--format",
                             fmt], cwd=tmp_path, env=e, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read()
    assert (proc.wait(timeout=120), err) == (code, b"")


# -- an overflow names the file it came from ---------------------------------------------------

SATURATED = ('title = "saturated"\noutput = "sigmoid"\nloss = "cross_entropy"\n[params]\n'
             'w_x = 1e300\nw_h = 0.5\nw_y = 1e300\n[data]\nx = [1, 2]\ny = [1, 0]\n')


@pytest.mark.parametrize("args", [["forward"], ["grad", "--wrt", "w_h"],
                                  ["explain", "vanishing"], ["check"]])
def test_an_overflow_names_its_file(tmp_path, args):
    """sigmoid(1e300 * tanh(1e300)) is 1 at any working precision: log(1 - 1) for y_2 = 0."""
    (tmp_path / "sat.toml").write_text(SATURATED + "[answers]\nh_1 = 1\n")
    files = ["sat.toml"] if args == ["check"] else ["-f", "sat.toml"]
    err = one_line(cli(*args, *files, cwd=tmp_path), 2)
    assert err.startswith("rnn-solve: error: sat.toml: overflow: "), err


@pytest.mark.parametrize("columns", ["20", "40", "79"])
def test_a_narrow_terminal_loses_no_column(tmp_path, columns):
    """Below 80 columns Rich dropped the given and correct values of check's table whole;
    the output is 80 wide there and the terminal wraps it (values worked by hand: h_2 =
    relu(1 * 2 + 0.5 * 1) = 2.5, given 3.5)."""
    (tmp_path / "k.toml").write_text('activation = "relu"\n[params]\nw_x = 1\nw_h = 0.5\n'
                                     'w_y = 2\n[data]\nx = [1, 2]\ny = [0, 0]\n[answers]\n'
                                     'h_2 = 3.5\n')
    r = cli("check", "k.toml", cwd=tmp_path, env={"COLUMNS": columns})
    assert r.returncode == 1, r.stderr
    row = next(line for line in r.stdout.decode().splitlines() if "h_2" in line)
    assert all(word in row for word in ("3.5", "2.5", "wrong")) and "…" not in row, row


def test_json_writes_a_value_beyond_a_double_as_a_string(tmp_path):
    """w_h = 10^1000 on the built-in problem: h_2 = w_h (w_h + 1) + 1 ≈ 10^2000, y_hat_2 =
    2 h_2, L ≈ (2 * 10^2000)^2 = 4 * 10^4000 (by hand). Its JSON number is null (no double
    holds it); the value is kept as a string beside it, where it was lost."""
    import mpmath
    r = cli("forward", "--w-h", "1e1000", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["loss"] is None and d["steps"][1]["loss"] is None
    for got in (d["loss_approx"], d["steps"][1]["loss_approx"]):
        assert abs(mpmath.mpf(got) / mpmath.mpf("4e4000") - 1) < 1e-15
    assert abs(mpmath.mpf(d["steps"][1]["h_approx"]) / mpmath.mpf("1e2000") - 1) < 1e-15
    assert abs(mpmath.mpf(d["derivation"][-1]["value_approx"]) / mpmath.mpf("4e4000") - 1) \
        < 1e-15
    assert "x_approx" not in d["steps"][0] and "y_approx" not in d["steps"][0]


def test_checks_input_errors_are_said_when_the_report_cannot_be_written(tmp_path):
    """`check missing.toml > /dev/full`: the run cannot finish (exit 3), and the missing file
    is still named (its line was lost with the report)."""
    with open("/dev/full", "wb") as full:
        r = cli("check", "missing.toml", cwd=tmp_path, stdout=full)
    assert r.returncode == 3 and b"Traceback" not in r.stderr
    assert r.stderr.decode().splitlines() == [
        "rnn-solve: error: missing.toml: no such file",
        "rnn-solve: error: cannot write to standard output: No space left on device"]


def test_input_errors_name_the_file_they_come_from(tmp_path):
    """An unknown answer in the file variants reads, and a weights file without x given
    alone, were reported as 'answers: ...' and 'flags: ...'."""
    import numpy as np
    (tmp_path / "unk.toml").write_text('[params]\nw_x = 0.5\nw_h = 1\nw_y = 2\n[data]\n'
                                       "x = [1, 2]\ny = [1, 1]\n[answers]\nh_9 = 0.5\n")
    err = one_line(cli("variants", "unk.toml", "--count", "1", "--seed", "1", "-o", "v",
                       cwd=tmp_path), 2)
    assert "unk.toml: answers: unknown quantity 'h_9'" in err
    np.savez(tmp_path / "nox.npz", W_xh=np.ones((1, 1)), W_hh=np.ones((1, 1)),
             W_hy=np.ones((1, 1)), b_h=np.zeros(1), b_y=np.zeros(1))
    err = one_line(cli("forward", "--weights", "nox.npz", cwd=tmp_path), 2)
    assert "error: --weights nox.npz: missing the inputs" in err
