"""Shared fixtures: one engine per test session (loading the model takes a second or two)."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def engine():
    from engine.api import get_engine

    return get_engine("embedded", "cpu")
