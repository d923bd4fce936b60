"""engine.embedded.native: the Snake/Sin kernels are built, checked, used, and never break the engine."""
from __future__ import annotations

import json
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from engine import SynthesisRequest
from engine.embedded import native
from engine.embedded.onnx_native import NATIVE_DOMAIN, use_native_ops
from tests.engine.spectra import log_mel

REQUIRE = os.environ.get("DUBLINE_REQUIRE_NATIVE") == "1"


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty cache and no remembered outcome; restored afterwards."""
    monkeypatch.setenv("DUBLINE_CACHE", str(tmp_path / "cache"))
    native.reset()
    yield tmp_path
    native.reset()


def _needs_compiler():
    if native.compiler() is None:
        if REQUIRE:
            pytest.fail("no C compiler, but DUBLINE_REQUIRE_NATIVE=1 (scripts/setup-env.sh --test installs gcc)")
        pytest.skip("no C compiler on this machine")


def _snake_graph() -> bytes:
    """Both Snake forms -> Conv, and sin(sin(x)) -> Cos beside them.

    ``u = a*x; u + sin(u)^2`` is what dequantize_for_cpu leaves when it folds 1/a into the
    Conv; ``x + Reciprocal(a) * sin(a*x)^2`` is the export's own form.
    """
    rng = np.random.default_rng(3)
    inits = [
        helper.make_tensor("alpha", TensorProto.FLOAT, [1, 4, 1], rng.uniform(0.5, 3, 4).astype(np.float32)),
        helper.make_tensor("w", TensorProto.FLOAT, [4, 4, 3], rng.normal(0, 0.3, 48).astype(np.float32)),
        helper.make_tensor("two", TensorProto.FLOAT, [], [2.0]),
    ]
    nodes = [
        helper.make_node("Mul", ["x", "alpha"], ["u"]),
        helper.make_node("Sin", ["u"], ["s"]),
        helper.make_node("Mul", ["s", "s"], ["q"]),
        helper.make_node("Add", ["u", "q"], ["v"]),
        helper.make_node("Conv", ["v", "w"], ["y0"], pads=[1, 1]),
        helper.make_node("Mul", ["alpha", "y0"], ["u2"]),
        helper.make_node("Sin", ["u2"], ["s2"]),
        helper.make_node("Pow", ["s2", "two"], ["q2"]),
        helper.make_node("Reciprocal", ["alpha"], ["ra"]),
        helper.make_node("Mul", ["ra", "q2"], ["q3"]),
        helper.make_node("Add", ["y0", "q3"], ["v2"]),
        helper.make_node("Conv", ["v2", "w"], ["y"], pads=[1, 1]),
        helper.make_node("Sin", ["x"], ["p"]),
        helper.make_node("Sin", ["p"], ["p2"]),
        helper.make_node("Cos", ["p2"], ["c"]),
    ]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, None])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("p2", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("c", TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _run(model, library=None, feeds=None):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    if library:
        so.register_custom_ops_library(str(library))
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    if feeds is None:
        feeds = {"x": np.random.default_rng(5).normal(0, 2, (1, 4, 50000)).astype(np.float32)}
    return sess.run(None, feeds)


def test_pass_replaces_snake_and_sin_and_keeps_the_numbers(fresh):
    _needs_compiler()
    model = _snake_graph()
    fused, replaced = use_native_ops(model)
    ops = [(n.domain, n.op_type) for n in fused.graph.node]
    assert replaced == 4
    assert ops.count((NATIVE_DOMAIN, "Snake")) == 2 and ops.count((NATIVE_DOMAIN, "Sin")) == 2
    assert ("", "Sin") not in ops and ("", "Pow") not in ops and ("", "Reciprocal") not in ops
    assert ops.count(("", "Mul")) == 1  # only the folded form's a*x stays
    snake_inputs = sorted(len(n.input) for n in fused.graph.node if n.op_type == "Snake")
    assert snake_inputs == [1, 2]
    assert [n.op_type for n in model.graph.node].count("Sin") == 4  # the input model is untouched
    lib = native.ortops_library()
    assert lib is not None, native.status()
    for want, got in zip(_run(model), _run(fused, lib), strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=3e-6, rtol=1e-5)


def _norm_snake_graph() -> onnx.ModelProto:
    """InstanceNormalization (scale and bias computed in the graph, as the style's are) -> the folded
    Snake, twice; the second norm's output is also a graph output, so it must stay."""
    nodes = [
        helper.make_node("Mul", ["s", "s"], ["scale"]),
        helper.make_node("InstanceNormalization", ["x", "scale", "b"], ["n"], epsilon=1e-5),
        helper.make_node("Sin", ["n"], ["sn"]),
        helper.make_node("Mul", ["sn", "sn"], ["q"]),
        helper.make_node("Add", ["n", "q"], ["y"]),
        helper.make_node("InstanceNormalization", ["y", "scale", "b"], ["n2"], epsilon=1e-3),
        helper.make_node("Sin", ["n2"], ["sn2"]),
        helper.make_node("Mul", ["sn2", "sn2"], ["q2"]),
        helper.make_node("Add", ["n2", "q2"], ["y2"]),
    ]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, None]),
                                       helper.make_tensor_value_info("s", TensorProto.FLOAT, [4]),
                                       helper.make_tensor_value_info("b", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info(v, TensorProto.FLOAT, None) for v in ("y", "n2", "y2")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_pass_takes_the_norm_into_the_snake_that_alone_reads_it(fresh):
    _needs_compiler()
    model = _norm_snake_graph()
    fused, replaced = use_native_ops(model)
    ops = [(n.domain, n.op_type) for n in fused.graph.node]
    assert replaced == 2
    assert ops.count((NATIVE_DOMAIN, "NormSnake")) == 1 and ops.count((NATIVE_DOMAIN, "Snake")) == 1
    assert ops.count(("", "InstanceNormalization")) == 1  # the one whose output is also read elsewhere
    lib = native.ortops_library()
    assert lib is not None, native.status()
    rng = np.random.default_rng(9)
    feeds = {"x": (rng.normal(0, 2, (1, 4, 30000)) + [[[40.0], [-3.0], [0.0], [7.0]]]).astype(np.float32),
             "s": rng.uniform(0.5, 2, 4).astype(np.float32), "b": rng.normal(0, 1, 4).astype(np.float32)}
    for want, got in zip(_run(model, feeds=feeds), _run(fused, lib, feeds), strict=True):
        np.testing.assert_allclose(got, want, atol=2e-5, rtol=1e-5)


def test_engine_runs_the_vocoder_on_the_native_kernels(engine):
    _needs_compiler()
    assert engine.native, engine.native_status
    lib = native.ortops_library()
    q8 = native.has_qconv(lib)  # a CPU with AVX-512 VNNI
    ff = not q8 and native.has_fconv(lib)  # elsewhere, a CPU with AVX2 and FMA
    assert engine.qconv == q8 and engine.fconv == ff
    assert engine.native_status == "native kernels in use" + (" (8-bit convolutions)" if q8 else "") \
        + (" (frequency-domain convolutions)" if ff else "")
    # renders are keyed apart from the plain graph's (and from renders without kokoro-js's Mandarin prosody: -zp)
    assert engine.model_version().removesuffix("-zp").endswith("-n1q8" if q8 else "-n1ff" if ff else "-n1")
    from engine.embedded.kokoro_graph import stage_paths

    name = "decoder.native" + ("-q8" if q8 else "-fft" if ff else "")
    info = json.loads((stage_paths().decoder.parent / f"{name}.json").read_text())
    assert info["replaced"] == 51  # 48 Snake activations, the harmonic source's Sin, the iSTFT phase's two
    assert info["qconv"] == (57 if q8 else 0)  # every Conv with channels in fours; not conv_post (22 outputs)
    assert info["fconv"] == (36 if ff else 0)  # the 7- and 11-tap ones of the two upsampling stages
    assert info["wconv"] == (12 if ff else 0)  # and their 3-tap ones (Winograd)
    graph = onnx.load(str(stage_paths().decoder.parent / f"{name}.onnx"), load_external_data=False).graph
    ops = [n.op_type for n in graph.node if n.domain == NATIVE_DOMAIN]
    # 42 of the Snakes follow an InstanceNormalization and take it in (NormSnake); 12 norms stay
    assert info["normsnake"] == 42 and ops.count("NormSnake") == 42
    assert [n.op_type for n in graph.node].count("InstanceNormalization") == 12
    assert ops.count("Snake") == 6 and ops.count("Sin") == 3 and ops.count("QConv") == info["qconv"]
    assert ops.count("FConv") == info["fconv"] and ops.count("WConv") == info["wconv"]


def _engine_with(monkeypatch, **env):
    from engine.embedded.kokoro_backend import KokoroBackend

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    native.reset()
    try:
        return KokoroBackend(device="cpu")
    finally:
        for k in env:
            monkeypatch.delenv(k)
        native.reset()


def test_native_audio_matches_onnxruntime_operators(engine, monkeypatch):
    """Snake/Sin kernels: the same audio as onnxruntime's operators; 8-bit convolutions: the same
    spectrum within 1 dB (the stock int8 model is 1.6 dB from float by the same measure)."""
    _needs_compiler()
    plain = _engine_with(monkeypatch, DUBLINE_NATIVE_OPS="0")
    assert not plain.native and plain.native_status == "native kernels off (DUBLINE_NATIVE_OPS=0)"
    assert plain.model_version() != engine.model_version()
    f32 = _engine_with(monkeypatch, DUBLINE_QCONV="0", DUBLINE_FCONV="0") if engine.qconv or engine.fconv else engine
    assert f32.native and not f32.qconv and not f32.fconv and f32.native_status == "native kernels in use"
    variants = {plain.model_version(), f32.model_version(), engine.model_version()}
    assert len(variants) == (3 if engine.qconv or engine.fconv else 2)
    for text in ("雨停了，橘猫在窗台上睡觉。", "Keep the lights on until the train arrives."):
        a = f32.generate(SynthesisRequest(text, voice="jf_alpha")).audio
        b = plain.generate(SynthesisRequest(text, voice="jf_alpha")).audio
        assert a.shape == b.shape
        snr = 10 * np.log10(np.sum(b.astype(np.float64) ** 2) / np.sum((a.astype(np.float64) - b) ** 2))
        assert snr > 50, snr
        if engine.fconv:  # the same convolution, by another route: float rounding apart (~110 dB)
            f = engine.generate(SynthesisRequest(text, voice="jf_alpha")).audio
            assert f.shape == a.shape
            snr = 10 * np.log10(np.sum(a.astype(np.float64) ** 2) / np.sum((f.astype(np.float64) - a) ** 2))
            assert snr > 80, snr
        if engine.qconv:
            q = engine.generate(SynthesisRequest(text, voice="jf_alpha")).audio
            assert q.shape == a.shape
            ref, got = log_mel(a), log_mel(q)
            heard = ref.max(axis=1) > ref.max() - 60
            assert np.abs(ref - got)[heard].mean() < 1.0


@pytest.mark.parametrize("op, needs", [("qconv", "AVX-512 VNNI"), ("fconv", "AVX2 and FMA")])
def test_conv_kernel_matches_the_float_convolution(op, needs):
    _needs_compiler()
    lib = native.ortops_library()
    assert lib is not None, native.status()
    if not getattr(native, f"has_{op}")(lib):
        pytest.skip(f"this CPU has no {needs}: the kernel is not built")
    from engine.embedded.native import selftest

    getattr(selftest, f"check_{op}")(str(lib))  # raises SystemExit with the case and its error


def test_fconv_refuses_other_weights_than_its_first(tmp_path):
    """A node keeps the transform of its weights: weights that change between calls give NaN, never a
    silently stale convolution (and so does a frame length the FFTs cannot take)."""
    _needs_compiler()
    lib = native.ortops_library()
    if lib is None or not native.has_fconv(lib):
        pytest.skip("FConv is not built on this CPU")
    import onnxruntime as ort

    from engine.embedded.native.selftest import _conv_model, conv_reference

    so = ort.SessionOptions()
    so.register_custom_ops_library(str(lib))
    sess = ort.InferenceSession(_conv_model("FConv"), so, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(3)
    x, bias = rng.normal(0, 1, (1, 16, 300)).astype(np.float32), np.zeros(8, np.float32)
    params = np.array([1, 32], np.int64)
    w = rng.normal(0, 0.1, (8, 16, 7)).astype(np.float32)
    y = sess.run(None, {"x": x, "w": w, "bias": bias, "params": params})[0]
    np.testing.assert_allclose(y[0], conv_reference(x[0], w, bias, 1), atol=1e-5)
    # frames whose length is not a power of two (the transforms are FFTs) are refused the same way
    assert np.isnan(sess.run(None, {"x": x, "w": w, "bias": bias, "params": np.array([1, 40], np.int64)})[0]).all()
    other = rng.normal(0, 0.1, (8, 16, 7)).astype(np.float32)
    y = sess.run(None, {"x": x, "w": other, "bias": bias, "params": params})[0]
    assert np.isnan(y).all()


def test_outcome_is_remembered_and_a_wrong_kernel_is_refused(fresh, monkeypatch):
    _needs_compiler()
    src = native.SOURCE.read_text()
    bad = fresh / "ortops.c"
    assert "y[i] = x[i] + inv * (s * s);" in src
    bad.write_text(src.replace("y[i] = x[i] + inv * (s * s);", "y[i] = x[i] + inv * s;"))
    monkeypatch.setattr(native, "SOURCE", bad)
    assert native.ortops_library() is None
    status = native.status()
    assert status.startswith("native kernels unavailable: the self-test failed (Snake:"), status

    def no_compiling(*a, **k):
        raise AssertionError("a remembered failure must not be rebuilt")

    monkeypatch.setattr(native, "_compile", no_compiling)
    native.reset()
    assert native.ortops_library() is None and "self-test failed" in native.status()


@pytest.mark.parametrize("op, exact, wrong, needs", [
    # QConv forgets the zero point
    ("QConv", "add[o] = j->bias[o] - mul[o] * (float)zp * (float)j->wsum[o];", "add[o] = j->bias[o];", "AVX-512 VNNI"),
    # FConv multiplies by the weights' transform, not its conjugate
    ("FConv", "dst[8] = im[b];", "dst[8] = -im[b];", "AVX2 and FMA"),
    # WConv's last output takes 4 (m3 - m4) instead of 8 (m3 - m4)
    ("WConv", "_mm256_fmadd_ps(eight, d34, d12)", "_mm256_fmadd_ps(four, d34, d12)", "AVX2 and FMA"),
])
def test_a_wrong_convolution_kernel_is_refused(fresh, monkeypatch, op, exact, wrong, needs):
    _needs_compiler()
    src = native.SOURCE.read_text()
    assert exact in src
    bad = fresh / "ortops.c"
    bad.write_text(src.replace(exact, wrong))
    monkeypatch.setattr(native, "SOURCE", bad)
    lib = native.ortops_library()
    if lib is not None and not (native.has_qconv if op == "QConv" else native.has_fconv)(lib):  # WConv: with FConv
        pytest.skip(f"this CPU has no {needs}: {op} is not built")
    assert lib is None
    assert native.status().startswith(f"native kernels unavailable: the self-test failed ({op}: relative error"), \
        native.status()


def test_a_wrong_norm_snake_is_refused(fresh, monkeypatch):
    _needs_compiler()
    src = native.SOURCE.read_text()
    exact = "sqrt(var + (double)j->eps)"
    assert exact in src
    bad = fresh / "ortops.c"
    bad.write_text(src.replace(exact, "sqrt(var + 1.0)"))  # epsilon ignored: every row a little off
    monkeypatch.setattr(native, "SOURCE", bad)
    assert native.ortops_library() is None
    assert native.status().startswith("native kernels unavailable: the self-test failed (NormSnake: error"), \
        native.status()


def test_compiler_errors_and_missing_compiler_are_one_line(fresh, monkeypatch):
    _needs_compiler()
    bad = fresh / "ortops.c"
    bad.write_text("this is not C\n")
    monkeypatch.setattr(native, "SOURCE", bad)
    assert native.ortops_library() is None
    assert native.status().startswith("native kernels unavailable: the C compiler failed: ")
    assert "\n" not in native.status()

    native.reset()
    monkeypatch.setattr(native, "compiler", lambda: None)
    assert native.ortops_library() is None
    assert native.status() == "native kernels unavailable: no C compiler (install gcc for faster synthesis)"

    native.reset()
    monkeypatch.setenv("DUBLINE_NATIVE_OPS", "0")
    assert native.ortops_library() is None and native.status() == "native kernels off (DUBLINE_NATIVE_OPS=0)"


def test_engine_loads_without_a_usable_library(fresh, monkeypatch):
    """A library onnxruntime cannot load (damaged after its check) leaves the engine on its own operators."""
    from engine.embedded.kokoro_backend import KokoroBackend

    junk = fresh / "libjunk.so"
    junk.write_bytes(b"not a library")
    monkeypatch.setattr(native, "ortops_library", lambda progress=None: junk)
    eng = KokoroBackend(device="cpu")
    assert not eng.native
    assert eng.native_status.startswith("native kernels unavailable: ")
    r = eng.generate(SynthesisRequest("你好。", voice="jf_alpha"))
    assert r.audio.size > 0 and np.isfinite(r.audio).all()
