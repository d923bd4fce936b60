"""Stock voices' timbres, pulled part of the way toward other voices': Mandarin was misheard.

Two pulls of the decoder half of a stock voice's style (its timbre and how it articulates):

* ``TIMBRE_PULL``: jf_alpha and jf_tebukuro, toward the five stock voices' centre, in every language.
* ``ZH_TIMBRE_PULL``: every stock voice reading a Mandarin line, 0.3 of the way toward Kokoro's native
  Mandarin speakers' mean (engine/embedded/zh_voices.py: the women's for the jf_ voices, the men's for
  jm_kumo), on top of the first.  See "The Mandarin timbre pull" below.

The timbre pull (``TIMBRE_PULL``): jf_alpha's retroflexes were lost.

Kokoro's style vector has two halves: the first 128 numbers steer the decoder
(timbre and how each phoneme is articulated), the last 128 the predictor
(durations, pitch, energy).  The five stock voices are Japanese speakers, and
jf_alpha, the one whose decoder half lies furthest from the others' centre
(0.85 of the centre's norm away; the other women 0.37-0.46, jm_kumo 0.74),
turned Mandarin retroflexes into alveolo-palatals: 吃 was heard as 取, 出 as 充,
车 as 抽, 这 as 就.

Measured on development lines only (Whisper base, median / mean):

* ``ZH_DIAG_RETROFLEX`` (benchmarks/lines_unseen.py, 24 lines that open on zh
  ch sh r), jf_alpha at 1.0x: as shipped 0.167 / 0.190 (jf_gongitsune on the
  same lines 0.045 / 0.103); the predictor half taken whole from
  jf_gongitsune 0.160 / 0.194 (so it is not the prosody); the decoder half
  pulled toward the centre of the five voices by 0.2 / 0.3 / 0.45: 0.118 /
  0.140, 0.106 / 0.134, 0.095 / 0.126.
* 40 ZH_DEV lines, jf_alpha pulled by 0.3: 0.75x 0.084 / 0.131 -> 0.077 /
  0.119; 1.0x 0.071 / 0.102 -> 0.067 / 0.089; 1.3x 0.138 / 0.159 -> 0.069 /
  0.102.  The same pull for the other four voices at 1.0x: jf_gongitsune 0.029
  / 0.080 -> 0.071 / 0.087, jf_nezumi 0.074 / 0.105 -> 0.069 / 0.107,
  jf_tebukuro 0.067 / 0.118 -> 0.062 / 0.112, jm_kumo 0.077 / 0.122 -> 0.083 /
  0.128: nothing clear gained, so they stayed as shipped (jf_tebukuro until
  session 10: see below, on all 80 ZH_DEV lines).
* 50 EN_DEV lines, jf_alpha pulled by 0.3 (WER): 0.75x 0.000 / 0.088 -> 0.000
  / 0.070; 1.0x 0.000 / 0.045 -> 0.000 / 0.040; 1.3x 0.000 / 0.036 -> 0.000 /
  0.023.  So the pull applies to every language.

GE2E (the speaker encoder the app clones with) puts jf_alpha pulled by 0.3 at
0.992 (Mandarin) and 0.991 (English) cosine similarity to jf_alpha as shipped
on the same lines; jf_gongitsune is at 0.73-0.82: the voice stays itself.

A cloned voice is not pulled, even one that blends jf_alpha: its blend was
fitted to its reference recording through this renderer, and pulling it would
move it away from that speaker.

jf_tebukuro (session 10, all 80 ZH_DEV lines, as shipped -> pulled by 0.3):
0.75x 0.071 / 0.108 -> 0.062 / 0.102, 1.0x 0.074 / 0.106 -> 0.065 / 0.093,
1.3x 0.071 / 0.092 -> 0.062 / 0.085; 50 EN_DEV lines at 1.0x (WER) 0.000 /
0.029 -> 0.000 / 0.026.  (The 40-line figure above, 0.067 / 0.118 -> 0.062 /
0.112, had pointed the same way.)  So it is pulled as well.  The ZH_TEST
half, run once, as shipped -> pulled: 0.75x 0.087 / 0.129 -> 0.087 / 0.129,
1.0x 0.083 / 0.109 -> 0.083 / 0.108, 1.3x 0.083 / 0.107 -> 0.083 / 0.102: no
loss, a small gain at 1.3x, far less than on DEV.  GE2E similarity to
jf_tebukuro as shipped: 0.995 (Mandarin), 0.994 (English).

Tried for jm_kumo and not kept: a slower Mandarin pace.  It read Mandarin
faster than the others (0.237 s per Hanzi at its natural length on the 80
ZH_DEV lines, against 0.253-0.280) and its errors were mostly tones.  Its
Mandarin syllables given 1.12 times the model's frames (natural length ~10 %
longer) took ZH_DEV at 1.0x from 0.080 / 0.120 to 0.071 / 0.117 and at 0.75x
from 0.114 / 0.138 to 0.108 / 0.125 (1.3x: 0.071 / 0.102, not measured as
shipped), but the ZH_TEST half, run once, did not follow:
0.75x 0.091 / 0.150 -> 0.091 / 0.141, 1.0x 0.083 / 0.118 -> 0.087 / 0.122,
1.3x 0.083 / 0.102 -> 0.083 / 0.110.  A change to every jm_kumo line's natural
length needs a gain that holds on held-out lines; this one did not.

The Mandarin timbre pull (``ZH_TIMBRE_PULL``, session 19).  Since ENGINE_VERSION 7 a stock voice reads
Mandarin with the native Mandarin speakers' predictor half (rhythm, pitch movement) and its own
decoder half, and the errors left were an accent: tones and initials heard wrong on lines the engine
was never tuned on.  The decoder half moved part of the way toward the Mandarin speakers' mean:

* Timbre first (GE2E, 12 ZH_DEV lines, mean embedding, cosine to the voice as shipped) at 0.2 / 0.3 /
  0.4 / 0.5: jf_alpha 0.996 / 0.992 / 0.985 / 0.976, jf_gongitsune 0.994 / 0.986 / 0.976 / 0.962,
  jf_nezumi 0.992 / 0.983 / 0.969 / 0.952, jf_tebukuro 0.997 / 0.995 / 0.991 / 0.986, jm_kumo 0.987 /
  0.972 / 0.953 / 0.927.  Two different stock voices are 0.63-0.96 apart (jf_gongitsune and
  jf_nezumi the closest pair).  0.3 keeps every voice at 0.97 or more.
* ZH_DEV (80 lines, 1.0x), paired against the engine as shipped, per-line CER: -0.018 +- 0.003 over
  400 clips; every voice better (jf_alpha -0.032, jf_gongitsune -0.016, jf_nezumi -0.014,
  jf_tebukuro -0.010, jm_kumo -0.016, each 1.6-3.8 standard errors).  Only 0.3 was rendered.
* The test halves, under a rule written before they were rendered (keep it only if the 1.0x mean
  over ZH_TEST + ZH_TEST2 falls, and ZH_TEST2's mean over 0.75x / 1.0x / 1.3x falls with no median
  over 0.12), run once.  1.0x, 160 lines, median / mean (as shipped in brackets): jf_alpha 0.062 /
  0.085 (0.083 / 0.116), jf_gongitsune 0.062 / 0.084 (0.080 / 0.118), jf_nezumi 0.067 / 0.090
  (0.080 / 0.122), jf_tebukuro 0.062 / 0.084 (0.083 / 0.111), jm_kumo 0.077 / 0.096 (0.083 / 0.121).
  ZH_TEST2 means at 0.75x / 1.0x / 1.3x, mean over the voices: 0.154 / 0.137 / 0.112 -> 0.116 /
  0.103 / 0.098 (over the three 0.134 -> 0.106); medians at 0.75x 0.077-0.083 (were 0.095-0.114),
  at 1.3x 0.071-0.077.  Kept (ENGINE_VERSION 8).  ZH_TEST at 0.75x / 1.3x, rendered once after:
  medians 0.065-0.074 / 0.000-0.056.  benchmarks/README.md has every figure.
English lines and cloned voices are untouched (a clone's blend was fitted through this renderer).
"""

from __future__ import annotations

import numpy as np

#: Per stock voice: how far the decoder half of its style moves toward the
#: stock voices' centre (a voice not listed is as shipped).
TIMBRE_PULL: dict[str, float] = {"jf_alpha": 0.3, "jf_tebukuro": 0.3}
DECODER_DIMS = 128
#: How far a stock voice's decoder half moves toward the Mandarin voices' (the women's mean for jf_
#: voices, the men's for jm_) when it reads a Mandarin line (engine/embedded/zh_voices.py).
ZH_TIMBRE_PULL = 0.3


def centre(tables: dict[str, np.ndarray]) -> np.ndarray:
    """The stock voices' mean style table, decoder half only: ``[rows, 128]``."""
    return np.mean([np.asarray(t, dtype=np.float64)[:, :DECODER_DIMS] for t in tables.values()],
                   axis=0).astype(np.float32)


def pulled(style: np.ndarray, centre_row: np.ndarray, weight: float) -> np.ndarray:
    """A copy of ``style`` (``[1, 256]``) with its decoder half moved ``weight`` of the way to ``centre_row``."""
    out = np.array(style, dtype=np.float32, copy=True)
    out[..., :DECODER_DIMS] = (1.0 - weight) * out[..., :DECODER_DIMS] + weight * centre_row
    return out
