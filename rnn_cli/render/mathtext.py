"""A sentence of check's (a diagnosis) as LaTeX: its formulas typeset as maths, its words as
text. `w_h was used where w_y belongs: y_hat_1 = w_h * h_1 = 2` becomes text with
$w_{h}$, $w_{y}$ and $\\hat{y}_{1} = w_{h} \\cdot h_{1} = 2$.

Only runs made of names of the notation, numbers and operators become maths, so what reaches
math mode is safe by construction; everything else goes through latex.text (escaped)."""

import re

from .latex import name, text

# a name of the notation (h_1, y_hat_t, dL_1/dw_x, w_h[1,2], a (direct) derivative), a
# number, an operator or bracket, or a single letter other than the article
_NAME = r"(?:d?[A-Za-z]+_[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*(?:\[[0-9,]+\])?" \
        r"(?:/d[A-Za-z]+_[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*(?:\[[0-9,]+\])?)?(?: \(direct\))?)"
_FUNC = r"\b(?:tanh|sigmoid|softmax|log|exp|diag)\b"
_MATH = re.compile(rf"{_NAME}|{_FUNC}|-?\d+(?:\.\d+)?(?:e-?\d+)?(?:/\d+)?|"
                   r"[-+*/=^()\[\]]|(?<!['’])\b[b-zB-HJ-Z]\b")
_TOKEN = re.compile(rf"(?P<m>{_MATH.pattern})|(?P<s>\s+)|(?P<o>.)", re.S)
_MATHY = re.compile(rf"{_NAME}|[=*^]|\b[b-zB-HJ-Z]\b")
_OPS = {"*": r"\cdot", "-": "-", "+": "+", "=": "=", "/": "/", "(": "(", ")": ")",
        "[": "[", "]": "]", "tanh": r"\tanh", "log": r"\log", "exp": r"\exp",
        "sigmoid": r"\operatorname{sigmoid}", "softmax": r"\operatorname{softmax}",
        "diag": r"\operatorname{diag}"}


def _tex(tok: str) -> str:
    if tok in _OPS:
        return _OPS[tok]
    if tok == "^":
        return "^"
    if tok == "y_hat":
        return r"\hat{y}"
    if re.fullmatch(_NAME, tok):
        return name(tok)
    if re.fullmatch(r"[A-Za-z]", tok):
        return tok
    return tok                      # a number


def sentence(s: str) -> str:
    """The sentence in LaTeX, its formulas in $...$."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(s)]
    out, run = [], []

    def flush():
        # a run of maths: trim its spaces; a run with no name, = or * stays text (1/3, (a))
        while run and run[-1].isspace():
            out_tail.append(run.pop())
        if run and any(_MATHY.fullmatch(t) for t in run):
            body, i = [], 0
            while i < len(run):
                t = run[i]
                if t == "^" and i + 1 < len(run) and not run[i + 1].isspace():
                    body.append("^{" + _tex(run[i + 1]) + "}")
                    i += 2
                    continue
                body.append(" " if t.isspace() else _tex(t))
                i += 1
            out.append("$" + "".join(body).strip() + "$")
        else:
            out.append(text("".join(run)))
        run.clear()

    out_tail: list[str] = []
    for kind, tok in tokens:
        if kind == "m" or (kind == "s" and run):
            run.append(tok)
            continue
        flush()
        out.extend(text(t) for t in out_tail)
        out_tail.clear()
        out.append(text(tok))
    flush()
    out.extend(text(t) for t in out_tail)
    return "".join(out)
