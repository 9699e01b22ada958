"""`python -m rnn_cli`: the same command line as `rnn-solve`."""
from .cli import main

main()
