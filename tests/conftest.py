"""Shared fixtures: the seed problem and a loader for problem dicts."""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the same examples every time (a red build must be reproducible); locally, new ones
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

sys.path.insert(0, str(Path(__file__).parent))   # tests/oracle.py and tests/strategies.py

from rnn_cli.model.files import load            # noqa: E402
from rnn_cli.model.problem import build         # noqa: E402

ROOT = Path(__file__).parent.parent
# the seed problem's tables as TOML text, for tests that write problem files
SEED_TABLES = """\
[params]
w_x = 0.1
w_h = 1
w_y = 2
h_0 = 1
[data]
x = [10, 10]
y = [5, 5]
"""
SEED = {"params": {"w_x": 0.1, "w_h": 1, "w_y": 2, "h_0": 1},
        "data": {"x": [10, 10], "y": [5, 5]}}


def problem_of(d: dict, name: str = "p"):
    """A Problem from a dict shaped like a TOML problem table."""
    return build(d, name, name)


@pytest.fixture
def seed():
    return load(None, "assignment3")
