"""Small exact matrices: tuples of rows of Fractions (or mpmath numbers once inexact).

Vectors are columns (n x 1). Products follow linear algebra; a 1 x 1 result is a number.
"""

from fractions import Fraction

from .numbers import lift


class Mat:
    """An immutable m x n matrix."""
    __slots__ = ("rows",)

    def __init__(self, rows):
        self.rows = tuple(tuple(r) for r in rows)

    @classmethod
    def column(cls, values) -> "Mat":
        return cls([v] for v in values)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0]) if self.rows else 0

    @property
    def is_column(self) -> bool:
        return self.shape[1] == 1

    def entries(self):
        return (v for r in self.rows for v in r)

    def map(self, fn) -> "Mat":
        return Mat([fn(v) for v in r] for r in self.rows)

    def zip(self, other, fn) -> "Mat":
        """fn entry by entry; a number on either side stands for every entry."""
        if isinstance(other, Mat):
            if other.shape != self.shape:
                raise ValueError(f"shapes {self.shape} and {other.shape} differ")
            return Mat([fn(a, b) for a, b in zip(ra, rb)] for ra, rb in zip(self.rows, other.rows))
        return self.map(lambda a: fn(a, other))

    @property
    def T(self) -> "Mat":
        return Mat(zip(*self.rows))

    def __add__(self, o):
        return self.zip(o, lambda a, b: lift(a, b) + b)

    __radd__ = __add__

    def __sub__(self, o):
        return self.zip(o, lambda a, b: lift(a, b) - b)

    def __rsub__(self, o):
        return self.map(lambda a: lift(o, a) - a)

    def __neg__(self):
        return self.map(lambda a: -a)

    def __pow__(self, n: int):
        return self.map(lambda a: a ** n)

    def __truediv__(self, o):
        return self.zip(o, lambda a, b: lift(a, b) / b)

    def __rtruediv__(self, o):
        return self.map(lambda a: lift(o, a) / a)

    def hadamard(self, o) -> "Mat":
        return self.zip(o, lambda a, b: a * b)

    def is_diagonal(self) -> bool:
        return all(v == 0 for i, r in enumerate(self.rows) for j, v in enumerate(r) if i != j)

    def __matmul__(self, o: "Mat"):
        (m, k), (k2, n) = self.shape, o.shape
        if k != k2:
            raise ValueError(f"cannot multiply {m} x {k} by {k2} x {n}")
        if m == k > 1 and self.is_diagonal():     # diag(d) W scales W's rows: H^2, not H^3
            return Mat([self.rows[i][i] * v for v in r] for i, r in enumerate(o.rows))
        cols = o.T.rows
        out = Mat([_dot(r, c) for c in cols] for r in self.rows)
        return out.rows[0][0] if out.shape == (1, 1) else out

    def __eq__(self, o):
        return isinstance(o, Mat) and self.rows == o.rows

    def __hash__(self):
        return hash(self.rows)

    def __repr__(self):
        return f"Mat({[list(r) for r in self.rows]})"


def _dot(a, b):
    total = Fraction(0)
    for x, y in zip(a, b):
        total = lift(total, x * y) + x * y
    return total


def times(a, b):
    """a b: a matrix product, or a number scaling a matrix, or two numbers."""
    if isinstance(a, Mat) and isinstance(b, Mat):
        return a @ b
    if isinstance(a, Mat):
        return a.map(lambda x: x * b)
    if isinstance(b, Mat):
        return b.map(lambda x: a * x)
    return a * b


def hadamard(a, b):
    """a ⊙ b, entry by entry (an ordinary product for numbers)."""
    if isinstance(a, Mat):
        return a.hadamard(b)
    if isinstance(b, Mat):
        return b.hadamard(a)
    return a * b


def transpose(a):
    return a.T if isinstance(a, Mat) else a


def diag(v):
    """The diagonal matrix of a column vector."""
    if not isinstance(v, Mat):
        return v
    n = v.shape[0]
    zero = Fraction(0)
    return Mat([v.rows[i][0] if i == j else zero for j in range(n)] for i in range(n))


def entry(a, index: tuple[int, ...]):
    """a[i] of a vector or a[i, j] of a matrix (1-based)."""
    if not isinstance(a, Mat):
        if all(i == 1 for i in index):
            return a
        raise IndexError(index)
    i, j = (index[0], 1) if len(index) == 1 else index
    return a.rows[i - 1][j - 1]


def unit(n: int, i: int) -> Mat:
    """The i-th unit column vector of length n (1-based)."""
    return Mat.column(Fraction(int(k == i)) for k in range(1, n + 1))


def total(a):
    """The sum of the entries."""
    if not isinstance(a, Mat):
        return a
    s = Fraction(0)
    for v in a.entries():
        s = lift(s, v) + v
    return s
