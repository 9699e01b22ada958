"""The teaching layer: answer keys checked and diagnosed, explain's topics, character
sequences and the unrolled graph.

It imports rnn_cli.model and rnn_cli.derive, never render/, the API or the command line."""
