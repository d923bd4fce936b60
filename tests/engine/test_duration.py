"""Duration planner: exact sums, elasticity by class, anchors, impossible targets."""

import numpy as np
import pytest

from engine import duration as dur
from engine.errors import DurationError

C, V, P, S = dur.CONSONANT, dur.VOWEL, dur.PAUSE, dur.SPACE
BS, BE = dur.BOUNDARY_START, dur.BOUNDARY_END


def _line():
    pred = np.array([10.0, 2.1, 3.4, 1.6, 2.2, 4.0, 2.5, 1.2, 3.3, 2.7, 6.0])
    cls = np.array([BS, C, V, S, C, V, P, C, V, V, BE])
    return pred, cls


@pytest.mark.parametrize("target", [12, 17, 20, 25, 31, 40, 55, 80, 200])
def test_exact_sum_for_any_feasible_target(target):
    pred, cls = _line()
    plan = dur.plan(pred, cls, target)
    assert plan.frames.sum() == target
    assert (plan.frames >= 1).all()
    assert plan.frames.dtype == np.int64


def test_natural_trims_lead_in_and_tail():
    pred, cls = _line()
    plan = dur.plan(pred, cls, None)
    assert plan.frames[0] == dur.LEAD_IN_FRAMES
    assert plan.frames[-1] <= dur.LEAD_OUT_MAX_FRAMES
    assert plan.natural_frames == plan.frames.sum()


def test_vowels_and_pauses_take_the_stretch_not_consonants():
    pred, cls = _line()
    pred = pred * 4  # big enough that integer rounding does not blur the shares
    nat = dur.plan(pred, cls, None).frames
    long = dur.plan(pred, cls, int(nat.sum() * 1.5)).frames
    grow = long / nat
    assert grow[cls == P].mean() > grow[cls == V].mean() > grow[cls == C].mean()
    assert long[0] == nat[0]  # speech still starts right away


def test_too_short_is_a_clear_error():
    pred, cls = _line()
    with pytest.raises(DurationError, match="too short"):
        dur.plan(pred, cls, 5)


def test_anchors_land_exactly():
    pred, cls = _line()
    plan = dur.plan(pred, cls, 40, anchors=[(4, 12, "a"), (7, 25, "b")])
    starts = np.concatenate([[0], np.cumsum(plan.frames)])
    assert starts[4] == 12 and starts[7] == 25 and starts[-1] == 40


def test_impossible_anchor_names_itself():
    pred, cls = _line()
    with pytest.raises(DurationError, match="anchor X"):
        dur.plan(pred, cls, 40, anchors=[(7, 3, "anchor X")])
    with pytest.raises(DurationError, match="outside"):
        dur.plan(pred, cls, 40, anchors=[(7, 60, "anchor Y")])


def test_warnings_outside_comfortable_range():
    pred, cls = _line()
    nat = dur.plan(pred, cls, None).natural_frames
    assert any("intelligibility" in w for w in dur.plan(pred, cls, int(nat * 0.45)).warnings)
    assert dur.plan(pred, cls, nat).warnings == ()
