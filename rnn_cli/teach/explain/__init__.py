"""`explain`: the assignment's conceptual questions answered with the problem's own numbers.

Each topic returns a Topic: prose, tables of computed numbers, a closing answer, and for the
topics about the gradient's size a chart (sizes against the steps back in time). Nothing here
is canned: every number is computed from the problem (the forward pass and the delta recursion
of derive/bptt.py; the LSTM and GRU of derive/gated.py, differentiated step by step in
derive/gates.py). An LSTM or GRU problem is explained on its own cell. In a vector problem a Jacobian's size is its largest
singular value, from mpmath's SVD.

One module per group of topics: flow (vanishing, exploding), cost (bptt), cells (lstm, gru),
sequences (seq2seq, onehot, padding); common holds what they share.
"""

from ...derive.gated import A_CELL
from ...model.errors import InputError, unknown
from .cells import gru, lstm
from .common import CHARTED, TOPICS, Chart, Series, Table, Topic
from .cost import bptt, cost, truncated
from .flow import vanishing
from .sequences import seq2seq

__all__ = ["CHARTED", "TOPICS", "Chart", "Series", "Table", "Topic", "bptt", "cost", "gru", "lstm",
           "run", "seq2seq", "truncated", "vanishing"]


def run(topic: str, problem, steps: int | None = None, truncate: int | None = None,
        texts=(), vocab: str | None = None, batch: int = 2, forget_bias=None,
        update_bias=None) -> Topic:
    """The topic worked on the problem (or, for the text topics, on the texts). The bias
    flags (None: not given) shape the cell built from a plain RNN problem; an LSTM or GRU
    problem has its own."""
    if truncate is not None and topic in TOPICS and topic != "bptt":
        raise InputError(f"truncation belongs to explain bptt; explain {topic} has no use "
                         "for it", where="--truncate")
    if topic in ("seq2seq", "onehot", "padding"):
        return seq2seq(texts, vocab, batch, topic)
    if topic == "lstm":
        return lstm(problem, steps, forget_bias)
    if topic == "gru":
        return gru(problem, steps, update_bias)
    if topic == "vanishing":
        return vanishing(problem, steps)
    if topic == "exploding":
        return vanishing(problem, steps, exploding=True)
    if topic == "bptt":
        if problem.cell != "rnn":
            raise InputError(f"bptt counts the plain RNN's delta recursion; this problem is "
                             f"{A_CELL[problem.cell]} (rnn-solve grad --wrt all --style delta "
                             f"shows its recursion; explain {problem.cell} and vanishing work "
                             "on its cell)", where="explain bptt")
        return bptt(problem, steps, truncate)
    raise unknown("topic", topic, TOPICS, where="explain")
