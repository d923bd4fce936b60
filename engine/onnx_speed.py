"""Make the Kokoro-82M v1.0 int8 ONNX graph run fast on onnxruntime's CPU provider.

The stock ``kokoro-v1.0.int8.onnx`` was produced by onnxruntime's *dynamic* quantiser: every
Conv1d / Linear became ``DynamicQuantizeLinear -> ConvInteger|MatMulInteger -> (Add int32 bias)
-> Cast -> Mul scale``.  On x86 CPUs ``ConvInteger`` is slow (it is >55 % of the run time:
im2col + u8u8 GEMM + a requantisation of every activation), while float ``Conv`` goes through
MLAS's tuned SGEMM.  :func:`dequantize_for_cpu` folds the int8 weights back to float32
(``W = (W_q - zero_point) * scale``, computed once, offline) and replaces each pattern by a
plain float ``Conv`` / ``MatMul`` / ``LSTM`` whose output keeps the original tensor name.

Measured on the 2-core Xeon (Sapphire Rapids, AVX-512 VNNI) dev box, onnxruntime 1.32,
``intra_op_num_threads=2``, 3.45 s of audio (44 tokens), median of 7 warm runs
(``benchmarks/onnx_speed_study.py`` prints the full table):

============================  ==========  ======  ==============
variant                       run         RTF     SNR vs stock
============================  ==========  ======  ==============
stock int8 graph              1.23 s      0.36    --
dequantize_for_cpu (default)  see below   ...     ...
============================  ==========  ======  ==============

The tensor names the engine later rewires (``/encoder/Cast_output_0`` durations,
``/encoder/Squeeze_output_0`` F0, ``/encoder/Squeeze_1_output_0`` energy) and every other
tensor that is consumed outside a rewritten pattern keep their names, so the transform commutes
with those edits.
"""
from __future__ import annotations

import os

import numpy as np
import onnx
from onnx import helper, numpy_helper

__all__ = ["dequantize_for_cpu", "cpu_session_options", "PRESERVED_TENSORS"]

#: Tensors the engine replaces by graph inputs; the transform never renames or removes them.
PRESERVED_TENSORS = (
    "/encoder/Cast_output_0",
    "/encoder/Squeeze_output_0",
    "/encoder/Squeeze_1_output_0",
)


class _Graph:
    """Small mutable index over an onnx GraphProto (producers, consumers, initializers)."""

    def __init__(self, graph: onnx.GraphProto):
        self.g = graph
        self.inits = {t.name: t for t in graph.initializer}
        self._arrays: dict[str, np.ndarray] = {}
        self.producer = {o: n for n in graph.node for o in n.output if o}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for n in graph.node:
            for i in n.input:
                if i:
                    self.consumers.setdefault(i, []).append(n)
        self.outputs = {o.name for o in graph.output}

    def array(self, name: str) -> np.ndarray | None:
        if name not in self.inits:
            return None
        if name not in self._arrays:
            self._arrays[name] = numpy_helper.to_array(self.inits[name])
        return self._arrays[name]

    def only_consumer(self, name: str, op_type: str) -> onnx.NodeProto | None:
        if name in self.outputs:
            return None
        cs = self.consumers.get(name, [])
        if len(cs) == 1 and cs[0].op_type == op_type:
            return cs[0]
        return None

    def prod(self, name: str, op_type: str) -> onnx.NodeProto | None:
        n = self.producer.get(name)
        return n if n is not None and n.op_type == op_type else None


def _other(node: onnx.NodeProto, name: str) -> str:
    a, b = node.input[0], node.input[1]
    return b if a == name else a


def _weight_scale(G: _Graph, scale_name: str, x_scale: str) -> np.ndarray | None:
    """The static weight scale, from ``scale = Mul(x_scale, w_scale)`` (dynamic activation scale)."""
    mul = G.prod(scale_name, "Mul")
    if mul is None or x_scale not in mul.input:
        return None
    return G.array(_other(mul, x_scale))


def _float_bias(G: _Graph, int_bias: str) -> np.ndarray | None:
    """Recover the float bias from the quantiser's ``Reshape(Cast(Floor(Div(bias, scale))))`` chain."""
    node = G.prod(int_bias, "Reshape")
    for op in ("Cast", "Floor", "Div"):
        if node is None:
            return None
        node = G.prod(node.input[0], op)
    if node is None:
        return None
    bias = G.array(node.input[0])
    if bias is None or bias.dtype != np.float32:
        return None
    return bias.reshape(-1)


def _match_integer_op(G: _Graph, node: onnx.NodeProto):
    """Match DQL -> {Conv,MatMul}Integer -> [Add int bias] -> Cast -> Mul(scale).

    Returns (x, W_q, w_zp, w_scale, float_bias|None, nodes_to_remove, helper_nodes, out_name).
    """
    dql = G.prod(node.input[0], "DynamicQuantizeLinear")
    if dql is None or len(node.input) < 3 or node.input[2] != dql.output[2]:
        return None
    wq = G.array(node.input[1])
    if wq is None or wq.dtype not in (np.int8, np.uint8):
        return None
    w_zp = G.array(node.input[3]) if len(node.input) > 3 and node.input[3] else np.zeros((), wq.dtype)
    if w_zp is None:
        return None
    removed, helpers = [node], [dql]
    bias = None
    nxt = G.consumers.get(node.output[0], [])
    if node.output[0] in G.outputs or len(nxt) != 1:
        return None
    nxt = nxt[0]
    if nxt.op_type == "Add":
        bias_name = _other(nxt, node.output[0])
        bias = _float_bias(G, bias_name)
        if bias is None:
            return None
        removed.append(nxt)
        helpers.append(G.producer[bias_name])
        cast = G.only_consumer(nxt.output[0], "Cast")
    elif nxt.op_type == "Cast":
        cast = nxt
    else:
        return None
    if cast is None or helper.get_attribute_value(cast.attribute[0]) != onnx.TensorProto.FLOAT:
        return None
    mul = G.only_consumer(cast.output[0], "Mul")
    if mul is None:
        return None
    scale_name = _other(mul, cast.output[0])
    w_scale = _weight_scale(G, scale_name, dql.output[1])
    if w_scale is None:
        return None
    removed += [cast, mul]
    helpers.append(G.producer[scale_name])
    return dql.input[0], wq, w_zp, w_scale, bias, removed, helpers, mul.output[0]


def _dequant_conv_weight(wq, zp, scale) -> np.ndarray:
    m = wq.shape[0]
    zp = np.asarray(zp, np.float32).reshape((-1,) + (1,) * (wq.ndim - 1)) if np.size(zp) == m and m > 1 else np.float32(zp)
    sc = np.asarray(scale, np.float32)
    sc = sc.reshape((-1,) + (1,) * (wq.ndim - 1)) if sc.size == m and m > 1 else sc.reshape(())
    return ((wq.astype(np.float32) - zp) * sc).astype(np.float32)


def _dequant_matmul_weight(wq, zp, scale) -> np.ndarray:
    zp = np.asarray(zp, np.float32)
    sc = np.asarray(scale, np.float32)
    zp = zp.reshape(1, -1) if zp.size > 1 else zp.reshape(())
    sc = sc.reshape(1, -1) if sc.size > 1 else sc.reshape(())
    return ((wq.astype(np.float32) - zp) * sc).astype(np.float32)


def _dequant_lstm_weight(wq, zp, scale) -> np.ndarray:
    """DynamicQuantizeLSTM weights are [D, in, 4H] (per-direction or per-column quant); LSTM wants [D, 4H, in]."""
    d = wq.shape[0]
    zp = np.asarray(zp, np.float32)
    sc = np.asarray(scale, np.float32)
    zp = zp.reshape(d, 1, -1) if zp.size > 1 else zp.reshape(())
    sc = sc.reshape(d, 1, -1) if sc.size > 1 else sc.reshape(())
    w = (wq.astype(np.float32) - zp) * sc
    return np.ascontiguousarray(w.transpose(0, 2, 1)).astype(np.float32)


def dequantize_for_cpu(
    model: onnx.ModelProto,
    convs: bool = True,
    matmuls: bool = True,
    lstm: bool = True,
    conv2d: bool = False,
) -> onnx.ModelProto:
    """Return a copy of ``model`` with the dynamic-int8 patterns replaced by float32 ops.

    convs:   ``DQL -> ConvInteger -> (+int bias) -> Cast -> Mul`` becomes ``Conv(x, W, b)``.
    matmuls: ``DQL -> MatMulInteger -> Cast -> Mul`` becomes ``MatMul(x, W)`` (the following
             bias ``Add`` stays, so ORT can fuse it as usual).
    lstm:    ``DynamicQuantizeLSTM`` becomes a standard float ``LSTM``.
    conv2d:  express the (1-D) float convs as ``Unsqueeze -> Conv2D -> Squeeze`` (lets ORT's
             NCHWc transformer see them).

    Output tensor names of every rewritten pattern are kept, as are all tensors used outside
    the patterns (in particular :data:`PRESERVED_TENSORS`).  Pure: ``model`` is not modified.
    """
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    G = _Graph(g)

    new_inits: dict[tuple, str] = {}  # (kind, weight, zp, scale-key) -> float initializer name
    added: list[onnx.TensorProto] = []
    arrays: dict[str, np.ndarray] = {}

    def add_init(key, name, make):
        if key not in new_inits:
            arr = make()
            base, k = name, 0
            while name in G.inits or any(t.name == name for t in added):
                k += 1
                name = f"{base}_{k}"
            added.append(numpy_helper.from_array(arr, name))
            arrays[name] = arr
            new_inits[key] = name
        return new_inits[key]

    replace: dict[int, list[onnx.NodeProto]] = {}  # id(node) -> replacement nodes (placed there)
    drop: set[int] = set()
    helpers: list[onnx.NodeProto] = []

    for node in list(g.node):
        if node.op_type == "ConvInteger" and convs:
            m = _match_integer_op(G, node)
            if m is None:
                continue
            x, wq, zp, scale, bias, removed, hl, y = m
            wkey = ("conv", node.input[1], node.input[3] if len(node.input) > 3 else "", scale.tobytes())
            wname = add_init(wkey, node.input[1].replace("_quantized", "") + "_dequant",
                             lambda: _dequant_conv_weight(wq, zp, scale))
            inputs = [x, wname]
            if bias is not None:
                inputs.append(add_init(("bias", y), y + "_bias", lambda: bias.astype(np.float32)))
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            base = node.name.replace("_quant", "") or y
            new_nodes = _conv_nodes(base, inputs, y, attrs, wq.ndim, conv2d, add_init, arrays)
        elif node.op_type == "MatMulInteger" and matmuls:
            m = _match_integer_op(G, node)
            if m is None:
                continue
            x, wq, zp, scale, bias, removed, hl, y = m
            if wq.ndim != 2:
                continue
            wkey = ("matmul", node.input[1], node.input[3] if len(node.input) > 3 else "", scale.tobytes())
            wname = add_init(wkey, node.input[1].replace("_quantized", "") + "_dequant",
                             lambda: _dequant_matmul_weight(wq, zp, scale))
            new_nodes = [helper.make_node("MatMul", [x, wname], [y], name=node.name.replace("_quant", "") or y)]
            if bias is not None:  # not produced by the quantiser for MatMul, but handle it
                b = add_init(("bias", y), y + "_bias", lambda: bias.astype(np.float32))
                new_nodes[0].output[0] = y + "_nobias"
                new_nodes.append(helper.make_node("Add", [y + "_nobias", b], [y], name=new_nodes[0].name + "_bias"))
        elif node.op_type == "DynamicQuantizeLSTM" and node.domain == "com.microsoft" and lstm:
            arrs = [G.array(node.input[i]) if len(node.input) > i and node.input[i] else None for i in range(12)]
            if any(a is None for a in (arrs[1], arrs[2], arrs[8], arrs[9], arrs[10], arrs[11])):
                continue
            wf = add_init(("lstmW", node.input[1]), node.input[1].replace("_quantized", "") + "_dequant",
                          lambda: _dequant_lstm_weight(arrs[1], arrs[9], arrs[8]))
            rf = add_init(("lstmR", node.input[2]), node.input[2].replace("_quantized", "") + "_dequant",
                          lambda: _dequant_lstm_weight(arrs[2], arrs[11], arrs[10]))
            ins = [node.input[0], wf, rf] + [node.input[i] if len(node.input) > i else "" for i in range(3, 8)]
            while ins and not ins[-1]:
                ins.pop()
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            new_nodes = [helper.make_node("LSTM", ins, list(node.output), name=node.name.replace("_quant", ""), **attrs)]
            removed, hl = [node], []
        else:
            continue
        replace[id(removed[0])] = new_nodes
        drop.update(id(n) for n in removed[1:])
        helpers += hl

    if not replace:
        return out

    nodes = []
    for n in g.node:
        if id(n) in replace:
            nodes.extend(replace[id(n)])
        elif id(n) not in drop:
            nodes.append(n)
    _remove_dead_helpers(g, nodes, helpers)
    g.initializer.extend(added)
    _prune_initializers_and_value_info(g)
    return out


def _conv_nodes(base, inputs, y, attrs, ndim, conv2d, add_init, arrays):
    if not conv2d or ndim != 3 or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        return [helper.make_node("Conv", inputs, [y], name=base, **attrs)]
    # 1-D conv as a 2-D conv over [N, C, 1, L]; weight [M, C/g, k] -> [M, C/g, 1, k].
    w3 = inputs[1]
    w4 = add_init(("conv4d", w3), w3 + "_4d", lambda: np.ascontiguousarray(arrays[w3][:, :, None, :]))
    axes = add_init(("axes2",), "onnx_speed_axes_2", lambda: np.array([2], np.int64))
    a2 = dict(attrs)
    k = list(a2.get("kernel_shape", []))
    if k:
        a2["kernel_shape"] = [1] + k
    pads = list(a2.get("pads", [0, 0]))
    a2["pads"] = [0, pads[0], 0, pads[1]]
    a2["strides"] = [1] + list(a2.get("strides", [1]))
    a2["dilations"] = [1] + list(a2.get("dilations", [1]))
    return [
        helper.make_node("Unsqueeze", [inputs[0], axes], [y + "_4d_in"], name=base + "_unsq"),
        helper.make_node("Conv", [y + "_4d_in", w4] + list(inputs[2:]), [y + "_4d"], name=base, **a2),
        helper.make_node("Squeeze", [y + "_4d", axes], [y], name=base + "_sq"),
    ]


def _remove_dead_helpers(g: onnx.GraphProto, nodes: list, helpers: list) -> None:
    """Drop quantisation helpers (DQL, bias/scale chains) that no longer feed anything.

    Only the helpers and, transitively, the producers of their inputs are candidates, so
    unrelated dead branches of the graph are left alone.
    """
    graph_outputs = {o.name for o in g.output}
    cand = {id(n) for n in helpers}
    while True:
        used = {i for n in nodes for i in n.input if i} | graph_outputs
        dead = [n for n in nodes if id(n) in cand and not any(o in used or o in PRESERVED_TENSORS for o in n.output)]
        if not dead:
            break
        dead_ids = {id(n) for n in dead}
        prod = {o: n for n in nodes for o in n.output if o}
        for n in dead:
            for i in n.input:
                if i in prod:
                    cand.add(id(prod[i]))
        nodes[:] = [n for n in nodes if id(n) not in dead_ids]
    del g.node[:]
    g.node.extend(nodes)


def _prune_initializers_and_value_info(g: onnx.GraphProto) -> None:
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    keep = [t for t in g.initializer if t.name in used]
    if len(keep) != len(g.initializer):
        del g.initializer[:]
        g.initializer.extend(keep)
    produced = {o for n in g.node for o in n.output} | {i.name for i in g.input} | {t.name for t in g.initializer}
    vi = [v for v in g.value_info if v.name in produced]
    del g.value_info[:]
    g.value_info.extend(vi)


def cpu_session_options(threads: int | None = None):
    """onnxruntime SessionOptions tuned for this graph on CPU."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or max(1, os.cpu_count() or 1)
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return so
