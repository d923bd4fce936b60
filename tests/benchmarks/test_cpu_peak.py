"""benchmarks/bench_cpu_peak.py: a convolution's multiply-adds counted from the shapes onnxruntime's
profiler records, and cpu_peak.c measuring this CPU's multiply-add throughput."""

import sys
from pathlib import Path

import pytest

_BENCH = str(Path(__file__).resolve().parents[2] / "benchmarks")


@pytest.fixture(scope="module")
def peak():
    if _BENCH not in sys.path:
        sys.path.insert(0, _BENCH)
    import bench_cpu_peak

    return bench_cpu_peak


def _args(op, ins, out):
    return {"op_name": op, "input_type_shape": [{"float": s} for s in ins], "output_type_shape": [{"float": out}]}


def test_conv_macs_from_shapes(peak):
    # a 1 x K convolution on NCHWc layout: every output value takes Ci x K products
    assert peak.conv_macs(_args("Conv", [[1, 128, 1, 500], [128, 128, 1, 11], [128]], [1, 128, 1, 500])) == 128 * 500 * 128 * 11
    # a 1-D convolution from 1090 to 512 channels, kernel 3
    assert peak.conv_macs(_args("QConv", [[1, 1090, 40], [512, 1090, 3]], [1, 512, 40])) == 512 * 40 * 1090 * 3
    # depthwise ConvTranspose (weight [Ci, Co/groups, K]): each input value meets K taps
    assert peak.conv_macs(_args("ConvTranspose", [[1, 1090, 148], [1090, 1, 3], [1090]], [1, 1090, 296])) == 1090 * 148 * 3
    # shapes it cannot read count nothing rather than guessing
    assert peak.conv_macs(_args("Conv", [[1, 4, 10]], [1, 4, 10])) == 0


def test_fconv_macs_count_the_frequency_domain_arithmetic(peak):
    # 128 -> 128 channels, 11 taps, 300 outputs, frames of 64: 6 frames of 54 outputs and 33 bins
    # each; an FFT of 32 points (16 x 5 butterflies of 5 operations) and its split (33 x 4) per
    # frame and channel, both ways
    args = _args("FConv", [[1, 128, 1, 300], [128, 128, 11], [128], [2]], [1, 128, 1, 300])
    per_frame = 256 * (16 * 5 * 5 + 33 * 4) + 33 * 4 * 128 * 128
    assert peak.fconv_macs(args) == 6 * per_frame
    assert peak.fconv_macs(args) < peak.conv_macs(args) / 3  # what FConv is for
    assert peak.fconv_macs(_args("FConv", [[1, 4, 10]], [1, 4, 10])) == 0


def test_wconv_macs_count_the_winograd_arithmetic(peak):
    # 128 -> 128 channels, 3 taps, 301 outputs: 76 tiles of 4, 6 points each
    args = _args("WConv", [[1, 128, 1, 301], [128, 128, 3], [128], [1]], [1, 128, 1, 301])
    assert peak.wconv_macs(args) == 76 * (6 * 128 * 128 + 12 * 256)
    assert peak.wconv_macs(args) < 0.6 * peak.conv_macs(args)  # half the products, and the transforms
    assert peak.wconv_macs(_args("WConv", [[1, 4, 10]], [1, 4, 10])) == 0


def test_peaks_are_measured(peak):
    from engine.embedded.native import compiler

    if compiler() is None:
        pytest.skip("no C compiler")
    peaks = peak.measure_peaks()
    if not peaks:
        pytest.skip("cpu_peak.c has no kernel for this CPU (no AVX2)")
    assert all(v > 0.5 for v in peaks.values()), peaks  # GMAC/s on one core
    assert "f32_fma_256" in peaks or "f32_fma_512" in peaks
