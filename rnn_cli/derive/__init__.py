"""The derivation layer: expression trees, the forward pass, BPTT, the float64 path and the
gated cells.

It imports only rnn_cli.model."""
