"""Pass 7 of the CPU graph transform (optional, CPU only): the decoder on Dubline's native kernels.

``engine/embedded/native/ortops.c`` is a custom-op library for onnxruntime's CPU provider; this
module rewrites the decoder stage for a session that registered it: the Snake activations and
sines (:func:`use_native_ops`), an instance norm with the Snake that alone reads it
(``NormSnake``) and, where the library was built with them, the convolutions in 8 bits
(``QConv``) or the long ones in the frequency domain (``FConv``) and the 3-tap ones by Winograd
(``WConv``).  Its source keys the graph cache with onnx_speed.py's
(engine/embedded/kokoro_graph.py), so any change here rebuilds the graphs.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from engine.embedded.onnx_speed import _attrs, _match_scaled_snake, _other, _square_of, _Work

#: Custom-op domain of engine/native/ortops.c.
NATIVE_DOMAIN = "ai.dubline"


def _match_snake(w: _Work, sin: onnx.NodeProto):
    """(x, alpha array or None, nodes to drop, output) for ``x + sin(a x)^2 / a`` or ``u + sin(u)^2``."""
    sq = _square_of(w, sin.output[0])
    if sq is None:
        return None
    add = w.sole(sq.output[0], "Add")
    if add is not None:  # folded form: u + sin(u)^2
        return (sin.input[0], None, [sin, sq, add], add.output[0]) if _other(add, sq.output[0]) == sin.input[0] else None
    m = _match_scaled_snake(w, sin)
    if m is None:
        return None
    x, alpha, nodes, _rnode = m
    return x, alpha.reshape(-1), nodes, nodes[-1].output[0]


def _fuse_norm_snake(w: _Work) -> int:
    """``InstanceNormalization -> ai.dubline.Snake`` (the norm's output used by the Snake alone) ->
    one ``ai.dubline.NormSnake(x, scale, bias, epsilon[, a])``; returns how many."""
    count = 0
    for snake in list(w.nodes):
        if snake.op_type != "Snake" or snake.domain != NATIVE_DOMAIN:
            continue
        norm = w.prod(snake.input[0], "InstanceNormalization")
        if norm is None or w.sole(norm.output[0], "Snake") is not snake or len(norm.input) != 3:
            continue
        eps = float(_attrs(norm).get("epsilon", 1e-5))
        inputs = [*norm.input, w.add_init(np.array([eps], np.float32), norm.output[0] + "_eps"), *snake.input[1:]]
        fused = helper.make_node("NormSnake", inputs, list(snake.output), name=(snake.name or snake.output[0]) + "_norm",
                                 domain=NATIVE_DOMAIN)
        w.nodes[w.nodes.index(snake)] = fused
        w.nodes.remove(norm)
        w.index()
        count += 1
    return count


def _conv_params(w: _Work, n: onnx.NodeProto) -> tuple[np.ndarray, int] | None:
    """(float weights [Co, Ci, K], dilation) when ``n`` is a Conv the QConv and FConv kernels compute
    exactly as written: one group, stride 1, odd kernel, "same" padding, channels in fours, constant
    weights."""
    if n.op_type != "Conv" or n.domain not in ("", "ai.onnx") or len(n.input) < 2:
        return None
    wt = w.array(n.input[1])
    if wt is None or wt.ndim not in (3, 4) or (wt.ndim == 4 and wt.shape[2] != 1):
        return None
    co, ci, k = wt.shape[0], wt.shape[1], wt.shape[-1]
    at = _attrs(n)
    dil = list(at.get("dilations", [1] * (wt.ndim - 2)))
    pads = list(at.get("pads", [0] * (2 * (wt.ndim - 2))))
    strides = list(at.get("strides", [1] * (wt.ndim - 2)))
    if at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") or at.get("group", 1) != 1:
        return None
    if wt.ndim == 4:  # the 1xK form of _pass_conv2d: height 1, no padding or dilation along it
        if dil[0] != 1 or strides[0] != 1 or pads[0] != 0 or pads[2] != 0:
            return None
        dil, pads, strides = dil[1:], [pads[1], pads[3]], strides[1:]
    d = int(dil[0])
    if strides != [1] or k % 2 == 0 or pads != [d * (k - 1) // 2] * 2 or co % 4 or ci % 4:
        return None
    if len(n.input) > 2 and n.input[2] and w.array(n.input[2]) is None:
        return None
    return wt.reshape(co, ci, k), d


def _replace_convs(w: _Work, op: str, suffix: str, inputs, accept=lambda wt: True) -> int:
    """Every Conv :func:`_conv_params` takes (and ``accept(weights)`` keeps) -> ``ai.dubline.<op>`` with
    ``[x] + inputs(base name, weights [Co, Ci, K], bias [Co], dilation)``; returns how many."""
    count = 0
    for i, n in enumerate(list(w.nodes)):
        m = _conv_params(w, n)
        if m is None or not accept(m[0]):
            continue
        wt, dil = m
        bias = w.array(n.input[2]) if len(n.input) > 2 and n.input[2] else np.zeros(wt.shape[0], np.float32)
        bias = np.asarray(bias, np.float32).reshape(-1)
        w.nodes[i] = helper.make_node(op, [n.input[0], *inputs(n.input[1] + suffix, wt, bias, dil)], list(n.output),
                                      name=(n.name or n.output[0]) + suffix, domain=NATIVE_DOMAIN)
        count += 1
    w.index()
    return count


def _pass_qconv(w: _Work) -> int:
    """Float Convs -> ``ai.dubline.QConv`` (8-bit, VNNI); returns how many."""
    return _replace_convs(w, "QConv", "_q8", lambda base, wt, bias, dil: [
        w.add_init(np.ascontiguousarray(wt, np.float32), base),
        w.add_init(np.abs(wt).max(axis=(0, 2)).astype(np.float32), base + "_colmax"),
        w.add_init(bias, base + "_bias"),
        w.add_init(np.array([dil], np.int64), base + "_dilation")])


#: FConv takes Convs of at least this many taps (3-tap ones gain too little over the direct form)
FCONV_MIN_TAPS = 7


def fconv_frame(taps: int) -> int:
    """FConv's frame length N for a kernel of ``taps``: h = N - taps + 1 outputs per frame, N / 2 + 1
    frequency bins (a power of two: the transforms are FFTs).  64 for the 11-tap kernels (their
    products fall by 17 % against 32; 5-10 % faster per op on 2 Zen 2 cores; the weights' transforms take
    ~76 MB more), 32 for the 7-tap ones (64 was no faster for their 256 channels)."""
    return 64 if taps >= 9 else 32


#: WConv takes 3-tap Convs of at most this many channels: its weights' points take twice the
#: weights' memory, and the decoder's 1024-channel ones run on ~600 frames, too few to share out
WCONV_MAX_CHANNELS = 256


def _pass_fconv(w: _Work) -> int:
    """Float Convs of 7 taps or more, channels in eights -> ``ai.dubline.FConv``, and 3-tap ones
    (input channels in eights, outputs in sixteens, at most WCONV_MAX_CHANNELS) -> ``ai.dubline.WConv``
    (Winograd F(4, 3), built with FConv); returns how many FConvs."""
    count = _replace_convs(w, "FConv", "_fft", lambda base, wt, bias, dil: [
        w.add_init(np.ascontiguousarray(wt, np.float32), base),
        w.add_init(bias, base + "_bias"),
        w.add_init(np.array([dil, fconv_frame(wt.shape[-1])], np.int64), base + "_params")],
        accept=lambda wt: wt.shape[2] >= FCONV_MIN_TAPS and wt.shape[0] % 8 == 0 and wt.shape[1] % 8 == 0)
    _replace_convs(w, "WConv", "_wino", lambda base, wt, bias, dil: [
        w.add_init(np.ascontiguousarray(wt, np.float32), base),
        w.add_init(bias, base + "_bias"),
        w.add_init(np.array([dil], np.int64), base + "_params")],
        accept=lambda wt: wt.shape[2] == 3 and wt.shape[0] % 16 == 0 and wt.shape[1] % 8 == 0
        and max(wt.shape[:2]) <= WCONV_MAX_CHANNELS)
    return count


#: the convolution passes use_native_ops can add, by the name the engine keys them with
CONV_PASSES = {"q8": _pass_qconv, "fft": _pass_fconv}


def use_native_ops(model: onnx.ModelProto, conv: str = "") -> tuple[onnx.ModelProto, int]:
    """Return (copy of ``model`` with native kernels, number of fused activations and sines).

    The Snake activation ``x + sin(a x)^2 / a`` (five operators, four full passes over the
    vocoder's largest tensors) becomes one ``ai.dubline.Snake(x, a)``, or ``Snake(u)`` where
    :func:`dequantize_for_cpu` already folded ``a`` away; every other ``Sin`` becomes
    ``ai.dubline.Sin``.  onnxruntime's own Sin is a scalar loop (7 ms per 3.8 M values on two
    cores); the native kernels are vectorised and run on onnxruntime's threads.  A Snake that
    alone reads an InstanceNormalization takes it in: ``ai.dubline.NormSnake`` (not counted in
    the number returned).  Only for sessions that registered the library
    (engine.native.ortops_library).

    ``conv="q8"``: the Convs the 8-bit ``ai.dubline.QConv`` computes exactly as written (one group,
    stride 1, "same" padding, channels in fours) become QConv; only for a library built with it
    (engine.embedded.native.has_qconv).  ``conv="fft"``: the 7- and 11-tap Convs of that kind,
    channels in eights, become ``ai.dubline.FConv``, the same float convolution in the frequency
    domain, and the 3-tap ones of at most 256 channels ``ai.dubline.WConv`` (Winograd F(4, 3)); only
    for a library built with them (has_fconv).  None is counted in the number returned.
    """
    out = onnx.ModelProto()
    out.CopyFrom(model)
    w = _Work(out.graph)
    replaced = 0
    dropped: list[onnx.NodeProto] = []
    for sin in [n for n in w.nodes if n.op_type == "Sin" and n.domain in ("", "ai.onnx")]:
        m = _match_snake(w, sin)
        if m is not None:
            x, alpha, nodes, y = m
            inputs = [x]
            if alpha is not None:
                inputs.append(w.add_init(alpha, sin.input[0] + "_snake_alpha"))
            new = helper.make_node("Snake", inputs, [y], name=(sin.name or y) + "_snake", domain=NATIVE_DOMAIN)
            w.nodes[w.nodes.index(nodes[-1])] = new
            for n in nodes[:-1]:
                w.nodes.remove(n)
            dropped += [w.producer[i] for n in nodes for i in n.input if w.producer.get(i) is not None]
        else:
            new = helper.make_node("Sin", [sin.input[0]], [sin.output[0]], name=(sin.name or sin.output[0]) + "_native",
                                   domain=NATIVE_DOMAIN)
            w.nodes[w.nodes.index(sin)] = new
        replaced += 1
        w.index()
    _fuse_norm_snake(w)
    if conv:
        CONV_PASSES[conv](w)
    live = {id(n) for n in w.nodes}
    w.finish([n for n in dropped if id(n) in live])  # e.g. the Reciprocal of a, now unused
    if replaced and not any(o.domain == NATIVE_DOMAIN for o in out.opset_import):
        out.opset_import.append(helper.make_opsetid(NATIVE_DOMAIN, 1))
    return out, replaced
