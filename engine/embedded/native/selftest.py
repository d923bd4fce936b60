"""Try a freshly built ``libdubline_ortops.so`` before the engine relies on it.

Run as ``python -m engine.embedded.native.selftest LIBRARY``; prints ``ok`` on success.  It runs in
its own process (engine/embedded/native/__init__.py), so a library that does not fit this
onnxruntime can only fail this check, never crash the app.
"""
from __future__ import annotations

import sys

import numpy as np


def _model(op: str, with_alpha: bool) -> bytes:
    from onnx import TensorProto, helper

    from engine.embedded.onnx_native import NATIVE_DOMAIN

    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)]
    if with_alpha:
        inputs.append(helper.make_tensor_value_info("alpha", TensorProto.FLOAT, [None]))
    node = helper.make_node(op, [i.name for i in inputs], ["y"], domain=NATIVE_DOMAIN)
    g = helper.make_graph([node], "selftest", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(NATIVE_DOMAIN, 1)])
    return m.SerializeToString()


def _expected(op: str, x: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    d = x.astype(np.float64)
    if op == "Sin":
        return np.sin(d)
    a = np.ones(1) if alpha is None else alpha.astype(np.float64).reshape(1, -1, 1)
    return d + np.sin(a * d) ** 2 / a


def check(library: str) -> None:
    import onnxruntime as ort

    rng = np.random.default_rng(7)
    cases = [
        rng.normal(0, 3, (1, 128, 70001)).astype(np.float32),  # several threads' worth, odd length
        rng.normal(0, 1, (2, 3, 5)).astype(np.float32),
        (rng.uniform(-1, 1, (1, 9, 5000)) * 4e4).astype(np.float32),  # harmonic-source phases
        np.zeros((1, 4, 0), np.float32),
        np.array([[[0.0, np.pi / 2, -np.pi / 2, np.pi, 1e-30, -7.5]]], np.float32),
    ]
    for op, with_alpha in (("Snake", False), ("Snake", True), ("Sin", False)):
        so = ort.SessionOptions()
        so.intra_op_num_threads = 2
        so.register_custom_ops_library(library)
        sess = ort.InferenceSession(_model(op, with_alpha), so, providers=["CPUExecutionProvider"])
        for x in cases:
            if op == "Snake" and np.abs(x).max(initial=0) > 1e3:
                continue  # activations are never that large; phases are the Sin's business
            feeds = {"x": x}
            alpha = None
            if with_alpha:
                alpha = rng.uniform(0.2, 8.0, x.shape[1]).astype(np.float32)
                feeds["alpha"] = alpha
            y = sess.run(None, feeds)[0]
            if y.shape != x.shape or y.dtype != np.float32:
                raise SystemExit(f"{op}: shape {y.shape} {y.dtype} for {x.shape}")
            if x.size == 0:
                continue
            ref = _expected(op, x, alpha)
            # absolute error against float64, allowing for the input's own rounding at large |x|
            tol = 3e-6 + 2e-7 * np.abs(x.astype(np.float64)) * (4 if op == "Sin" else 2)
            bad = np.abs(y - ref) > tol
            if bad.any():
                i = np.flatnonzero(bad.reshape(-1))[0]
                raise SystemExit(f"{op}: {y.reshape(-1)[i]!r} for x={x.reshape(-1)[i]!r}, expected {ref.reshape(-1)[i]!r}")


def check_norm_snake(library: str) -> None:
    """NormSnake against float64 InstanceNormalization then Snake, with and without a, on rows with
    a large offset (the mean must not eat the variance) and on the [N, C, 1, T] form."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from engine.embedded.onnx_native import NATIVE_DOMAIN

    rng = np.random.default_rng(17)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.register_custom_ops_library(library)
    for with_alpha in (False, True):
        names = ["x", "scale", "bias", "eps"] + (["alpha"] if with_alpha else [])
        inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in names]
        node = helper.make_node("NormSnake", names, ["y"], domain=NATIVE_DOMAIN)
        g = helper.make_graph([node], "selftest", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(NATIVE_DOMAIN, 1)])
        sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
        for shape in ((1, 128, 14401), (2, 3, 5), (1, 8, 1, 333), (1, 2, 1)):
            c = shape[1]
            x = (rng.normal(0, 1, shape) * rng.uniform(0.01, 30, (1, c) + (1,) * (len(shape) - 2))
                 + rng.uniform(-50, 50, (1, c) + (1,) * (len(shape) - 2))).astype(np.float32)
            feeds = {"x": x, "scale": rng.uniform(-3, 3, c).astype(np.float32),
                     "bias": rng.normal(0, 1, c).astype(np.float32), "eps": np.array([1e-5], np.float32)}
            a = np.ones(c)
            if with_alpha:
                feeds["alpha"] = rng.uniform(0.2, 8.0, c).astype(np.float32)
                a = feeds["alpha"].astype(np.float64)
            y = sess.run(None, feeds)[0]
            d = x.astype(np.float64).reshape(shape[0], c, -1)
            u = (d - d.mean(axis=2, keepdims=True)) / np.sqrt(d.var(axis=2, keepdims=True) + 1e-5)
            u = u * feeds["scale"].reshape(1, c, 1) + feeds["bias"].reshape(1, c, 1)
            ref = (u + np.sin(a.reshape(1, c, 1) * u) ** 2 / a.reshape(1, c, 1)).reshape(shape)
            if y.shape != x.shape:
                raise SystemExit(f"NormSnake: shape {y.shape} for {x.shape}")
            err = np.abs(y - ref).max()
            if not err < 1e-4 * max(1.0, np.abs(ref).max()):  # float rounding: ~1e-6 of the range
                raise SystemExit(f"NormSnake: error {err:.2e} for {shape}, alpha={with_alpha}")
        feeds["scale"] = feeds["scale"][:-1]  # a scale for fewer channels than x has: refused, never read past
        if not np.isnan(sess.run(None, feeds)[0]).all():
            raise SystemExit("NormSnake: a scale of the wrong length was used")


def _conv_model(op: str = "QConv") -> bytes:
    from onnx import TensorProto, helper

    from engine.embedded.onnx_native import NATIVE_DOMAIN

    names = ["x", "w", "wcol", "bias", "dilation"] if op == "QConv" else ["x", "w", "bias", "params"]
    types = [TensorProto.FLOAT] * (len(names) - 1) + [TensorProto.INT64]
    inputs = [helper.make_tensor_value_info(n, t, None) for n, t in zip(names, types, strict=True)]
    node = helper.make_node(op, names, ["y"], domain=NATIVE_DOMAIN)
    g = helper.make_graph([node], "selftest", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(NATIVE_DOMAIN, 1)])
    return m.SerializeToString()


def conv_reference(x: np.ndarray, w: np.ndarray, bias: np.ndarray, dilation: int) -> np.ndarray:
    """The float64 "same" convolution of x [Ci, T] by w [Co, Ci, K]."""
    k = w.shape[2]
    pad = dilation * (k - 1) // 2
    xp = np.pad(x.astype(np.float64), ((0, 0), (pad, pad)))
    y = np.zeros((w.shape[0], x.shape[1])) + bias.reshape(-1, 1)
    for j in range(k):
        y += w[:, :, j].astype(np.float64) @ xp[:, j * dilation : j * dilation + x.shape[1]]
    return y


def check_qconv(library: str) -> None:
    """QConv against the float64 convolution: within 4 % of the output's RMS, on uneven data and shapes."""
    import onnxruntime as ort

    rng = np.random.default_rng(11)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.register_custom_ops_library(library)
    sess = ort.InferenceSession(_conv_model(), so, providers=["CPUExecutionProvider"])
    for ci, co, k, dil, t in ((128, 128, 11, 5, 3001), (8, 12, 3, 1, 17), (256, 128, 7, 3, 500), (4, 4, 1, 1, 1)):
        # channels of very different loudness and a burst: what the per-tile scales are for
        x = rng.normal(0, 1, (1, ci, t)) * rng.uniform(0.05, 20, (1, ci, 1))
        x[..., t // 3 : t // 3 + 40] *= 30
        x = x.astype(np.float32)
        w = (rng.normal(0, 0.05, (co, ci, k)) * rng.uniform(0.1, 3, (1, ci, 1))).astype(np.float32)
        bias = rng.normal(0, 0.1, co).astype(np.float32)
        feeds = {"x": x, "w": w, "wcol": np.abs(w).max(axis=(0, 2)).astype(np.float32), "bias": bias,
                 "dilation": np.array([dil], np.int64)}
        y = sess.run(None, feeds)[0]
        ref = conv_reference(x[0], w, bias, dil)
        if y.shape != (1, co, t):
            raise SystemExit(f"QConv: shape {y.shape} for {(1, co, t)}")
        err = np.sqrt(np.mean((y[0] - ref) ** 2) / np.mean(ref**2))
        if not err < 0.04:  # 8-bit: ~0.02 on this deliberately uneven data; a fault gives ~1
            raise SystemExit(f"QConv: relative error {err:.4f} for {ci}x{co} k={k} d={dil} T={t}")


def _check_float_conv(library: str, op: str, cases, seed: int) -> None:
    """``op`` against the float64 convolution on (ci, co, k, dilation, T, params) cases, two batch items
    each: the same within float rounding (1e-5 of the output's RMS; ~3e-7 seen, a fault gives ~1)."""
    import onnxruntime as ort

    rng = np.random.default_rng(seed)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.register_custom_ops_library(library)
    for ci, co, k, dil, t, params in cases:
        x = (rng.normal(0, 1, (2, ci, t)) * rng.uniform(0.05, 20, (1, ci, 1))).astype(np.float32)
        w = rng.normal(0, 0.05, (co, ci, k)).astype(np.float32)
        bias = rng.normal(0, 0.1, co).astype(np.float32)
        # a session per case: a node keeps what it made of the first weights it is given
        sess = ort.InferenceSession(_conv_model(op), so, providers=["CPUExecutionProvider"])
        y = sess.run(None, {"x": x, "w": w, "bias": bias, "params": np.array(params, np.int64)})[0]
        if y.shape != (2, co, t):
            raise SystemExit(f"{op}: shape {y.shape} for {(2, co, t)}")
        for b in range(2):
            ref = conv_reference(x[b], w, bias, dil)
            err = np.sqrt(np.mean((y[b] - ref) ** 2) / np.mean(ref**2))
            if not err < 1e-5:
                raise SystemExit(f"{op}: relative error {err:.2e} for {ci}x{co} k={k} d={dil} T={t} params={params}")


def check_fconv(library: str) -> None:
    """FConv (frames of N = the last number) against float64."""
    cases = ((128, 128, 11, 5, 3001, 64), (8, 16, 7, 1, 17, 128), (256, 128, 7, 3, 500, 32), (16, 8, 11, 1, 1, 16),
             (8, 8, 3, 2, 257, 8), (24, 16, 11, 2, 300, 32))
    _check_float_conv(library, "FConv", [(ci, co, k, d, t, [d, n]) for ci, co, k, d, t, n in cases], 13)


def check_wconv(library: str) -> None:
    """WConv (Winograd F(4, 3)) against float64, every dilation's phases and short inputs too."""
    cases = ((128, 128, 1, 3001), (8, 16, 3, 17), (256, 256, 5, 500), (16, 32, 1, 1), (24, 16, 2, 290))
    _check_float_conv(library, "WConv", [(ci, co, 3, d, t, [d]) for ci, co, d, t in cases], 19)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m engine.embedded.native.selftest LIBRARY")
    check(sys.argv[1])
    check_norm_snake(sys.argv[1])
    from engine.embedded.native import has_fconv, has_qconv

    if has_qconv(sys.argv[1]):
        check_qconv(sys.argv[1])
    if has_fconv(sys.argv[1]):
        check_fconv(sys.argv[1])
        check_wconv(sys.argv[1])
    print("ok")
