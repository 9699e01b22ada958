"""--format latex: well-formed align* environments with the seed's numbers.

(Compiling with pdflatex belongs to the write-ups issue, with texlive installed by CI.)"""

from conftest import problem_of
from rnn_cli.bptt import grad
from rnn_cli.forward import forward
from rnn_cli.names import Quantity
from rnn_cli.render.latex import forward_tex, grad_tex, name


def balanced(tex: str) -> bool:
    depth = 0
    for ch in tex.replace(r"\{", "").replace(r"\}", ""):
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0 and tex.count(r"\left") == tex.count(r"\right") and \
        tex.count(r"\begin{") == tex.count(r"\end{")


def test_names():
    assert name("y_hat_2") == r"\hat{y}_{2}"
    assert name("dL_2/dw_h") == r"\frac{\partial L_{2}}{\partial w_{h}}"
    assert name("dh_1/dw_h (direct)").endswith(r"\big|_{\text{direct}}")


def test_seed_grad(seed):
    tex = grad_tex(grad(forward(seed), Quantity("L"), [Quantity("w_h")], "paths"))
    assert balanced(tex)
    assert r"2\left(6 - 5\right) \cdot 2 \cdot \left[2 + 1 \cdot 1\right] = 12" in tex
    assert r"= -4 + 12 = 8" in tex


def test_seed_forward_standalone(seed):
    tex = forward_tex(forward(seed), standalone=True)
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert balanced(tex)
    assert r"h_{2} &= w_{h} h_{1} + w_{x} x_{2} = 1 \times 2 + 0.1 \times 10 = 3" in tex


def test_vector_problem_is_well_formed():
    p = problem_of({"activation": "tanh", "output": "softmax", "loss": "cross_entropy",
                    "params": {"w_h": [[0.5, -0.3], [0.2, 0.4]], "w_x": [[1], [0.5]],
                               "w_y": [[1, 0], [0, 1]]},
                    "data": {"x": [1, 2], "y": [1, 2]}})
    tex = grad_tex(grad(forward(p), Quantity("L"), [Quantity("w_h")]), standalone=True)
    assert balanced(tex) and r"\begin{bmatrix}" in tex and r"^{\top}" in tex
