"""Character-level sequences (question 5 of the assignment): a vocabulary, one-hot vectors,
batches of similar length with padding and a mask, and decoding back to text."""

from ..model.errors import InputError

PAD = "·"               # the padding symbol, index 0 of every vocabulary
# texts of lengths 2, 5, 2, 4: batched in this order two by two they need 3 + 2 = 5 padding
# symbols, sorted by length (he, hi | help, hello) only 0 + 1
DEFAULT_TEXTS = ("hi", "hello", "he", "help")
MAX_TEXT = 200


def vocabulary(texts, given: str | None = None, default: bool = False) -> tuple[str, ...]:
    """PAD at index 0, then the characters of `given` in the order given (they define the
    one-hot indices), or without it the characters of the texts in sorted order (`default`:
    the texts are the defaults, not the user's)."""
    if given is None:
        return (PAD, *sorted(set("".join(texts))))
    if not given:
        raise InputError("expected the characters of the vocabulary, found an empty string",
                         where="--vocab")
    if PAD in given:
        raise InputError(f"{PAD!r} is the padding symbol, always at index 0; leave it out of "
                         "--vocab", where="--vocab")
    twice = sorted({c for c in given if given.count(c) > 1})
    if twice:
        raise InputError(f"expected each character once (its position is its index), found "
                         f"{', '.join(map(repr, twice))} more than once", where="--vocab")
    for t in texts:
        for c in t:
            if c not in given and default:
                raise InputError(f"the default text {t!r} has {c!r}, which is not in the "
                                 f"vocabulary {given!r}; give texts of your own with --text",
                                 where="--vocab")
            if c not in given:
                raise InputError(f"{t!r} has {c!r}, which is not in the vocabulary "
                                 f"{given!r}", where="--text")
    return (PAD, *given)


def one_hot(text: str, vocab) -> list[list[int]]:
    """One vector per character: 1 at the character's index, 0 elsewhere."""
    index = {c: i for i, c in enumerate(vocab)}
    return [[int(i == index[c]) for i in range(len(vocab))] for c in text]


def decode(vectors, vocab) -> str:
    """The character of each vector's largest entry (one-hot or probabilities); PAD dropped."""
    out = []
    for v in vectors:
        best = max(range(len(v)), key=lambda i: v[i])
        if vocab[best] != PAD:
            out.append(vocab[best])
    return "".join(out)


def batches(texts, size: int) -> list[list[str]]:
    """Texts sorted by length and cut into batches of `size`: similar lengths together, so
    little padding is needed."""
    ordered = sorted(texts, key=lambda t: (len(t), t))
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def pad(batch) -> tuple[list[str], list[list[int]]]:
    """The batch padded to its longest text with PAD, and the mask (1 for a real character)."""
    n = max(len(t) for t in batch)
    return [t + PAD * (n - len(t)) for t in batch], [[int(i < len(t)) for i in range(n)]
                                                     for t in batch]


def ambiguous(texts) -> list[tuple[str, set[str]]]:
    """Characters followed by different next characters in the texts: no function of the
    current character alone can predict what comes next."""
    follows: dict[str, set[str]] = {}
    for t in texts:
        for a, b in zip(t, t[1:]):
            follows.setdefault(a, set()).add(b)
    return [(a, nxt) for a, nxt in sorted(follows.items()) if len(nxt) > 1]


def check_texts(texts) -> tuple[str, ...]:
    if not texts:
        return DEFAULT_TEXTS
    for t in texts:
        if not t or len(t) > MAX_TEXT:
            raise InputError(f"expected a text of 1 to {MAX_TEXT} characters, found "
                             f"{len(t)}", where="--text")
        if PAD in t:
            raise InputError(f"{PAD!r} is the padding symbol; use another character",
                             where="--text")
    return tuple(texts)
