"""Request values a project file or command line may hold are refused with one RequestError (issue #15)."""

import pytest

from engine.errors import RequestError
from engine.types import EmotionSpec, SynthesisRequest


@pytest.mark.parametrize("d", [
    {"text": ["a"]},
    {"audio": 5},
    {"vector": "happy"},
    {"vector": [0.5] * 7},
    {"vector": [2, 0, 0, 0, 0, 0, 0, 0]},
    {"vector": [True] * 8},
    {"intensity": "loud"},
    {"from_line": "yes"},
    [1, 2],
])
def test_emotion_dicts_of_the_wrong_shape(d):
    with pytest.raises(RequestError):
        EmotionSpec.from_dict(d)


def test_emotion_weights_above_one_are_refused():
    with pytest.raises(RequestError, match="0-1"):
        EmotionSpec(vector=(1.5, 0, 0, 0, 0, 0, 0, 0)).validate()
    EmotionSpec(vector=(1.0, 0, 0, 0, 0, 0, 0, 0)).validate()


@pytest.mark.parametrize("text", ["XING9", "我XING0了", "HAO7 ma"])
def test_inline_tones_outside_1_to_5_are_refused(text):
    with pytest.raises(RequestError, match="tone is 1-5"):
        SynthesisRequest(text).validate()


@pytest.mark.parametrize("text", ["XING2", "GPT9", "MP9 player", "COVID19", "B2B"])
def test_other_letter_digit_words_are_left_alone(text):
    SynthesisRequest(text).validate()
