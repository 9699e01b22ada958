"""rnn-solve: recurrent-network homework solved, explained and checked step by step."""

__version__ = "0.1.0"
