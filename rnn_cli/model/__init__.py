"""The model layer: numbers, matrices, names, shapes, problems and problem files.

It imports nothing else of rnn_cli; every other layer may import it."""
