"""Which diagnoses to offer, and in what order: they must agree with the key, likeliest first.

A candidate mistake (mistakes.py) is a derivation replayed with one slip. It is offered only
where it agrees with the rest of the key: every answer the key has right, and that the
replayed derivation recomputes, must still be right under the slip (a slip in a_2 would have
made a right h_2 wrong, so it is not what happened).

The offers are ranked by how likely the slip is, then by how much it changes:
1. a kind's prior, an order set by hand and measured on the labelled wrong answers of
   tests/mistake_cases.py: something left out (a term, a path, a factor 2, the mean's 1/n)
   before a sign or a derivative taken at the wrong place, before one quantity written for
   another (a swapped weight, a time index off by one), before slips in writing the number;
2. the engine's own rank of the candidate (one place before every step);
3. fewer changed steps before more.
"""

# (words in the sentence, prior): the first that appears decides; lower is likelier
KINDS = (
    ("taken as 1, as if", 2),              # an activation's derivative left out entirely
    ("was left out", 0),
    ("is missing", 0),
    ("every path back through time was dropped", 0),
    ("factor 2", 0),
    ("a 1/2 was added", 0),
    ("mean's 1/", 0),
    ("kept its factor 2", 0),
    ("one-hot", 1),
    ("the sign of", 1),
    ("pre-activation", 1),
    ("was used for", 1),                   # the derivative of another function
    ("time index off by one", 2),
    ("was used where", 2),                 # one weight for another
    ("truncated", 3),
    ("arithmetic slip", 3),
)
LAST = 4


def prior(sentence: str) -> int:
    """How likely the kind of slip a diagnosis names is (0 likeliest)."""
    return next((p for words, p in KINDS if words in sentence), LAST)


def agrees(env: dict | None, right: dict) -> bool:
    """Whether a replayed derivation leaves every right answer of the key right.

    `env`: the replay's values by step name; `right`: the key's right answers, name ->
    answers.Answer. An answer the replay does not recompute cannot disagree."""
    if not env or not right:
        return True
    for name, ans in right.items():
        if name in env:
            try:
                if not ans.matches(env[name]):
                    return False
            except (ArithmeticError, TypeError, ValueError):
                return False
    return True


def changed(base: dict | None, env: dict | None) -> int:
    """How many steps a replay changed."""
    if not base or not env:
        return 0
    n = 0
    for k, v in env.items():
        try:
            n += k in base and bool(base[k] != v)
        except (ArithmeticError, TypeError, ValueError):
            n += 1
    return n


def order(found: list) -> list:
    """(rank, sentence) or (rank, sentence, changed) candidates, likeliest first, as
    (score, sentence) with score comparable across kinds; each sentence once."""
    scored = sorted((((prior(f[1]), f[0], f[2] if len(f) > 2 else 0), f[1]) for f in found),
                    key=lambda sf: sf[0])
    seen, out = set(), []
    for score, sentence in scored:
        if sentence not in seen:
            seen.add(sentence)
            out.append((score, sentence))
    return out
