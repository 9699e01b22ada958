"""Output formats. Each is a function of the core's results; none computes anything."""
