"""The output layer: tables (Rich), JSON, Markdown, LaTeX, graphs and charts, each a function of
the data the lower layers return.

It imports rnn_cli.model, rnn_cli.derive and rnn_cli.teach; never the API or the command line."""
