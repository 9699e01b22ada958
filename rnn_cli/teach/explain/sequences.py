"""explain seq2seq, onehot and padding: character sequences as one-hot vectors, in batches."""


from ...model.errors import InputError

from .common import (Table, Topic, TOPICS, SEQ2SEQ_ONE_HOT)

def _count(n: int, noun: str) -> str:
    """1 symbol, 2 symbols."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def seq2seq(texts=(), vocab: str | None = None, batch: int = 2, part: str = "seq2seq"):
    """Question 5: how to set up a character-level sequence model, on the given texts."""
    from .. import charseq as cs
    default = not texts
    texts = cs.check_texts(texts)
    if not 1 <= batch <= 100:
        raise InputError(f"expected a batch size between 1 and 100, found {batch}",
                         where="--batch")
    v = cs.vocabulary(texts, vocab, default)
    tables, prose = [], []
    if part in ("seq2seq", "onehot"):
        chars = (f"the {len(v) - 1} characters of --vocab in the order given" if vocab else
                 f"the {len(v) - 1} characters of the texts in sorted order")
        prose.append(f"The vocabulary has {len(v)} symbols: the padding symbol {cs.PAD!r} "
                     f"at index 0, then {chars} (indices 1 to {len(v) - 1}). Each character "
                     f"becomes a vector of {len(v)} numbers with a single 1 at its index.")
        shown = texts if part == "onehot" else texts[:SEQ2SEQ_ONE_HOT]
        if len(shown) < len(texts):
            left = len(texts) - len(shown)
            prose.append(f"One-hot tables are shown for the first {len(shown)} of the "
                         f"{len(texts)} texts ({left} left out here; the decoding table lists "
                         "them all); rnn-solve explain onehot with the same --text flags "
                         "shows every text's table.")
        for t in shown:
            rows = tuple((i + 1, c, v.index(c), "".join(map(str, vec)))
                         for i, (c, vec) in enumerate(zip(t, cs.one_hot(t, v))))
            tables.append(Table(f"{t!r} as one-hot vectors (vocabulary {''.join(v)!r})",
                                ("t", "character", "index", "one-hot"), rows))
        round_trip = [(t, cs.decode(cs.one_hot(t, v), v)) for t in texts]
        tables.append(Table("Decoding: the largest entry of each vector names the character",
                            ("text", "decoded from its one-hot vectors", "same"),
                            tuple((a, b, "yes" if a == b else "NO") for a, b in round_trip)))
    if part in ("seq2seq", "padding"):
        groups = cs.batches(texts, batch)
        prose.append(f"Texts are sorted by length and cut into batches of {batch}, so each "
                     "batch needs little padding; the mask marks real characters (1) and "
                     "padding (0), so the loss ignores the padded steps.")
        rows = []
        for i, b in enumerate(groups, 1):
            padded, mask = cs.pad(b)
            for text, m in zip(padded, mask):
                rows.append((i, text, "".join(map(str, m)), len(m) - sum(m)))
        tables.append(Table("Batches, padded to their longest text",
                            ("batch", "padded text", "mask", "padding"), tuple(rows)))
        unsorted = sum(max(map(len, texts[i:i + batch])) * len(texts[i:i + batch]) -
                       sum(map(len, texts[i:i + batch])) for i in range(0, len(texts), batch))
        prose.append(f"Padding needed: {_count(sum(r[3] for r in rows), 'symbol')} with "
                     f"sorted batches, {_count(unsorted, 'symbol')} with the texts batched in "
                     "the order given.")
    if part == "seq2seq":
        amb = cs.ambiguous(texts)
        if amb:
            c, nxt = amb[0]
            prose.append(f"A feedforward network that sees one letter at a time cannot do this: "
                         f"in these texts {c!r} is followed by {', '.join(map(repr, sorted(nxt)))}"
                         f", so no function of {c!r} alone gives the next letter; the "
                         "network must remember what came before, which a recurrent state does.")
        lengths = sorted({len(t) for t in texts})
        prose.append(f"The texts have lengths {', '.join(map(str, lengths))}: input and output "
                     "sequences need not be as long as each other, so a many-to-many "
                     "encoder-decoder fits: the encoder reads the whole input into its state, "
                     "the decoder then writes the output one character at a time.")
    answer = (
        f"Encode each character as a one-hot vector over the vocabulary ({len(v)} symbols "
        f"here, with padding at index 0); group texts of similar length into batches and pad "
        f"each batch to its longest text, with a mask so padded steps add nothing to the loss; "
        f"use a many-to-many encoder-decoder RNN, because a letter's meaning depends on the "
        f"letters before it and the output length can differ from the input's; and decode the "
        f"output vectors back to characters by taking the largest entry of each and joining "
        f"them.")
    return Topic(part, TOPICS[part], tuple(prose), tuple(tables), answer, notation=False)
