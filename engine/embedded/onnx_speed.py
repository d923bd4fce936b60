"""Make the Kokoro-82M v1.0 int8 ONNX graph run fast on onnxruntime's CPU provider.

:func:`dequantize_for_cpu` rewrites the stock graph for float execution (the int8
dynamic-quantisation paths are slower than float on these CPUs and no more exact);
:func:`use_native_ops` then hands the vocoder's Snake activations and sines to
engine/native's kernels when they could be built.  Figures and the variants that
were measured and rejected: benchmarks/README.md and benchmarks/onnx_speed_study.py.
"""
from __future__ import annotations

import os

import numpy as np
import onnx
from onnx import helper, numpy_helper

__all__ = ["PRESERVED_TENSORS", "cpu_session_options", "dequantize_for_cpu"]

#: Tensors the engine cuts the graph at (engine/kokoro_graph.py); never renamed or removed.
PRESERVED_TENSORS = (
    "/encoder/Div_output_0",
    "/encoder/Cast_output_0",
    "/encoder/Squeeze_output_0",
    "/encoder/Squeeze_1_output_0",
)


# --------------------------------------------------------------------------------------------
# graph bookkeeping


class _Work:
    """Mutable view of a GraphProto: node list, initializers (as arrays on demand), indices."""

    def __init__(self, graph: onnx.GraphProto):
        self.graph = graph
        self.nodes: list[onnx.NodeProto] = list(graph.node)
        self.inits: dict[str, onnx.TensorProto] = {t.name: t for t in graph.initializer}
        self.new_inits: dict[str, np.ndarray] = {}
        self._arrays: dict[str, np.ndarray] = {}
        self.outputs = {o.name for o in graph.output}
        self.shapes = {}
        for v in list(graph.value_info) + list(graph.input) + list(graph.output):
            t = v.type.tensor_type
            if t.HasField("shape"):
                self.shapes[v.name] = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        self.index()

    def index(self) -> None:
        self.producer = {o: n for n in self.nodes for o in n.output if o}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for n in self.nodes:
            for i in n.input:
                if i:
                    self.consumers.setdefault(i, []).append(n)

    # -- initializers
    def array(self, name: str) -> np.ndarray | None:
        if name in self.new_inits:
            return self.new_inits[name]
        if name not in self.inits:
            return None
        if name not in self._arrays:
            self._arrays[name] = numpy_helper.to_array(self.inits[name])
        return self._arrays[name]

    def scalar(self, name: str) -> float | None:
        a = self.array(name)
        return float(a.reshape(-1)[0]) if a is not None and a.size == 1 else None

    def add_init(self, arr: np.ndarray, name: str) -> str:
        base, k = name, 0
        while name in self.inits or name in self.new_inits or name in self.producer:
            k += 1
            name = f"{base}_{k}"
        self.new_inits[name] = arr
        return name

    # -- structure
    def prod(self, name: str, *ops: str) -> onnx.NodeProto | None:
        n = self.producer.get(name)
        return n if n is not None and n.op_type in ops and n.domain in ("", "ai.onnx") else None

    def cons(self, name: str) -> list[onnx.NodeProto]:
        return self.consumers.get(name, [])

    def sole(self, name: str, *ops: str) -> onnx.NodeProto | None:
        """The only consumer of ``name`` if it has one of ``ops`` and ``name`` is not exported."""
        if name in self.outputs or name in PRESERVED_TENSORS:
            return None
        cs = self.cons(name)
        if len(cs) == 1 and cs[0].op_type in ops:
            return cs[0]
        return None

    def uniq(self, base: str) -> str:
        name, k = base, 0
        while name in self.producer or name in self.inits or name in self.new_inits:
            k += 1
            name = f"{base}_{k}"
        self.producer[name] = None  # reserve
        return name

    def finish(self, dead_candidates: list[onnx.NodeProto]) -> None:
        _remove_dead(self, dead_candidates)
        g = self.graph
        del g.node[:]
        g.node.extend(_toposort(self.nodes, g))
        g.initializer.extend(numpy_helper.from_array(np.ascontiguousarray(a), n) for n, a in self.new_inits.items())
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        keep = [t for t in g.initializer if t.name in used]
        del g.initializer[:]
        g.initializer.extend(keep)
        produced = {o for n in g.node for o in n.output} | {i.name for i in g.input}
        vi = [v for v in g.value_info if v.name in produced]
        del g.value_info[:]
        g.value_info.extend(vi)


def _other(node: onnx.NodeProto, name: str) -> str:
    a, b = node.input[0], node.input[1]
    return b if a == name else a


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _remove_dead(w: _Work, cand_nodes: list[onnx.NodeProto]) -> None:
    """Drop candidate nodes whose outputs feed nothing, then their now-unused producers.

    Only candidates and (transitively) their producers are considered, so unrelated dead
    branches of the graph (e.g. left behind by the engine's own edits) are left alone.
    """
    cand = {id(n) for n in cand_nodes}
    while True:
        w.index()
        dead = [
            n for n in w.nodes
            if id(n) in cand and not any(o in w.consumers or o in w.outputs or o in PRESERVED_TENSORS for o in n.output if o)
        ]
        if not dead:
            return
        for n in dead:
            for i in n.input:
                if i in w.producer and w.producer[i] is not None:
                    cand.add(id(w.producer[i]))
        ids = {id(n) for n in dead}
        w.nodes = [n for n in w.nodes if id(n) not in ids]


def _toposort(nodes: list[onnx.NodeProto], g: onnx.GraphProto) -> list[onnx.NodeProto]:
    """Stable topological order (original order wherever the data flow allows)."""
    import heapq

    avail = {i.name for i in g.input} | {t.name for t in g.initializer} | {""}
    prod = {o: k for k, n in enumerate(nodes) for o in n.output if o}
    deps = []
    users: dict[int, list[int]] = {}
    for k, n in enumerate(nodes):
        d = {prod[i] for i in n.input if i in prod and i not in avail and prod[i] != k}
        deps.append(len(d))
        for p in d:
            users.setdefault(p, []).append(k)
    heap = [k for k in range(len(nodes)) if deps[k] == 0]
    heapq.heapify(heap)
    out = []
    while heap:
        k = heapq.heappop(heap)
        out.append(nodes[k])
        for u in users.get(k, []):
            deps[u] -= 1
            if deps[u] == 0:
                heapq.heappush(heap, u)
    if len(out) != len(nodes):  # cycle / missing producer: keep the given order
        return nodes
    return out


# --------------------------------------------------------------------------------------------
# pass 1: int8 dynamic quantisation -> float


def _weight_scale(w: _Work, scale_name: str, x_scale: str) -> np.ndarray | None:
    """The static weight scale from ``scale = Mul(x_scale, w_scale)`` (x_scale is dynamic)."""
    mul = w.prod(scale_name, "Mul")
    if mul is None or x_scale not in mul.input:
        return None
    return w.array(_other(mul, x_scale))


def _float_bias(w: _Work, int_bias: str) -> np.ndarray | None:
    """The float bias behind the quantiser's ``Reshape(Cast(Floor(Div(bias, scale))))`` chain."""
    node = w.prod(int_bias, "Reshape")
    for op in ("Cast", "Floor", "Div"):
        if node is None:
            return None
        node = w.prod(node.input[0], op)
    if node is None:
        return None
    bias = w.array(node.input[0])
    if bias is None or bias.dtype != np.float32:
        return None
    return bias.reshape(-1)


def _match_integer_op(w: _Work, node: onnx.NodeProto):
    """DQL -> {Conv,MatMul}Integer -> [Add int32 bias] -> Cast(float) -> Mul(scale)."""
    dql = w.prod(node.input[0], "DynamicQuantizeLinear")
    if dql is None or len(node.input) < 3 or node.input[2] != dql.output[2]:
        return None
    wq = w.array(node.input[1])
    if wq is None or wq.dtype not in (np.int8, np.uint8):
        return None
    zp = w.array(node.input[3]) if len(node.input) > 3 and node.input[3] else np.zeros((), wq.dtype)
    if zp is None:
        return None
    removed, helpers, bias = [node], [dql], None
    nxt = w.cons(node.output[0])
    if node.output[0] in w.outputs or len(nxt) != 1:
        return None
    nxt = nxt[0]
    if nxt.op_type == "Add":
        bias_name = _other(nxt, node.output[0])
        bias = _float_bias(w, bias_name)
        if bias is None:
            return None
        removed.append(nxt)
        helpers.append(w.producer[bias_name])
        cast = w.sole(nxt.output[0], "Cast")
    elif nxt.op_type == "Cast":
        cast = nxt
    else:
        return None
    if cast is None or _attrs(cast).get("to") != onnx.TensorProto.FLOAT:
        return None
    mul = w.sole(cast.output[0], "Mul")
    if mul is None:
        return None
    scale_name = _other(mul, cast.output[0])
    scale = _weight_scale(w, scale_name, dql.output[1])
    if scale is None:
        return None
    removed += [cast, mul]
    helpers.append(w.producer[scale_name])
    return dql.input[0], wq, zp, scale, bias, removed, helpers, mul.output[0]


def _per_axis(v, n: int, axis: int, ndim: int) -> np.ndarray:
    """Broadcastable float32 view of a scale / zero point that is per-tensor or per-``axis``."""
    v = np.asarray(v, np.float32)
    if v.size == 1:
        return v.reshape(())
    if v.size != n:
        raise ValueError("unsupported quantisation granularity")
    shape = [1] * ndim
    shape[axis] = n
    return v.reshape(shape)


def _pass_dequantize(w: _Work, convs: bool, matmuls: bool, lstm: bool, helpers: list) -> None:
    cache: dict[tuple, str] = {}
    replace: dict[int, list[onnx.NodeProto]] = {}
    drop: set[int] = set()

    def weight(key, name, make):
        if key not in cache:
            cache[key] = w.add_init(make(), name)
        return cache[key]

    for node in w.nodes:
        new: list[onnx.NodeProto]
        if node.op_type in ("ConvInteger", "MatMulInteger") and (convs if node.op_type == "ConvInteger" else matmuls):
            m = _match_integer_op(w, node)
            if m is None:
                continue
            x, wq, zp, scale, bias, removed, hl, y = m
            conv = node.op_type == "ConvInteger"
            if not conv and wq.ndim != 2:
                continue
            axis = 0 if conv else 1
            try:
                zpf = _per_axis(zp, wq.shape[axis], axis, wq.ndim)
                scf = _per_axis(scale, wq.shape[axis], axis, wq.ndim)
            except ValueError:
                continue
            key = (node.input[1], node.input[3] if len(node.input) > 3 else "", scale.tobytes())
            wname = weight(key, node.input[1].replace("_quantized", "") + "_float",
                           lambda: ((wq.astype(np.float32) - zpf) * scf).astype(np.float32))  # noqa: B023
            base = node.name.replace("_quant", "") or y
            if conv:
                inputs = [x, wname]
                if bias is not None:
                    inputs.append(w.add_init(bias.astype(np.float32), y + "_bias"))
                new = [helper.make_node("Conv", inputs, [y], name=base, **_attrs(node))]
            else:
                if bias is None:
                    new = [helper.make_node("MatMul", [x, wname], [y], name=base)]
                else:
                    tmp = w.uniq(y + "_nobias")
                    b = w.add_init(bias.astype(np.float32), y + "_bias")
                    new = [helper.make_node("MatMul", [x, wname], [tmp], name=base),
                           helper.make_node("Add", [tmp, b], [y], name=base + "_bias")]
        elif node.op_type == "DynamicQuantizeLSTM" and node.domain == "com.microsoft" and lstm:
            a = [w.array(node.input[i]) if len(node.input) > i and node.input[i] else None for i in range(12)]
            if any(a[i] is None for i in (1, 2, 8, 9, 10, 11)):
                continue

            def lstm_w(q, zp, sc):
                d = q.shape[0]
                zpf = np.asarray(zp, np.float32).reshape(d, 1, -1)  # per direction (or per column)
                scf = np.asarray(sc, np.float32).reshape(d, 1, -1)
                return np.ascontiguousarray(((q.astype(np.float32) - zpf) * scf).transpose(0, 2, 1)).astype(np.float32)

            wf = weight(("lstmW", node.input[1]), node.input[1].replace("_quantized", "") + "_float",
                        lambda: lstm_w(a[1], a[9], a[8]))  # noqa: B023
            rf = weight(("lstmR", node.input[2]), node.input[2].replace("_quantized", "") + "_float",
                        lambda: lstm_w(a[2], a[11], a[10]))  # noqa: B023
            ins = [node.input[0], wf, rf] + [node.input[i] if len(node.input) > i else "" for i in range(3, 8)]
            while ins and not ins[-1]:
                ins.pop()
            new = [helper.make_node("LSTM", ins, list(node.output), name=node.name.replace("_quant", ""), **_attrs(node))]
            removed, hl = [node], []
        else:
            continue
        replace[id(removed[0])] = new
        drop.update(id(n) for n in removed[1:])
        helpers += hl

    if replace:
        nodes = []
        for n in w.nodes:
            if id(n) in replace:
                nodes.extend(replace[id(n)])
            elif id(n) not in drop:
                nodes.append(n)
        w.nodes = nodes
        w.index()


# --------------------------------------------------------------------------------------------
# pass 2: STFT -> strided Conv with a windowed DFT basis (ORT's STFT kernel is slow)


def _stft_basis(n: int, step: int, win: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real / imaginary DFT rows ([n//2+1, n], window applied) that reproduce ORT's STFT kernel.

    The graph takes atan2(imag, real) of every bin.  For the DC bin the imaginary part is 0 in
    exact arithmetic, so its *sign* -- i.e. rounding noise -- picks phase +pi or -pi whenever
    real < 0, and the vocoder does hear the difference.  ORT's kernel (float twiddles) leaves
    a small systematic imag there; probing the kernel with unit impulses gives its effective
    linear basis, so the Conv reproduces the stock phase decisions (SNR ~32 dB vs the STFT op,
    against ~10 dB for an exact DFT basis).  Without onnxruntime, fall back to the exact basis
    with a -1e-6 * real leak on the DC row (phase +pi for real < 0, like ORT and torch.angle).
    """
    nb = n // 2 + 1
    try:
        import onnxruntime as ort

        TP = onnx.TensorProto
        g = helper.make_graph(
            [helper.make_node("STFT", ["x", "step", "win", "len"], ["y"], onesided=1)], "probe",
            [helper.make_tensor_value_info("x", TP.FLOAT, [n, n + 1])], [helper.make_tensor_value_info("y", TP.FLOAT, None)],
            [numpy_helper.from_array(np.array(step, np.int64), "step"), numpy_helper.from_array(win, "win"),
             numpy_helper.from_array(np.array(n, np.int64), "len")])
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        sess = ort.InferenceSession(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString(),
                                    so, providers=["CPUExecutionProvider"])
        y = sess.run(None, {"x": np.eye(n, n + 1, dtype=np.float32)})[0][:, 0]  # [n, nb, 2]
        re, im = y[:, :, 0].T.astype(np.float64), y[:, :, 1].T.astype(np.float64)
        k, t = np.arange(nb)[:, None], np.arange(n)[None, :]
        if re.shape == (nb, n) and np.abs(re - win * np.cos(2 * np.pi * k * t / n)).max() < 1e-3:
            return re, im
    except Exception:  # noqa: BLE001 - any failure: use the analytic basis
        pass
    ang = 2 * np.pi * np.arange(nb)[:, None] * np.arange(n)[None, :] / n
    cos, sin = np.cos(ang), np.sin(ang)
    cos[np.abs(cos) < 1e-9] = 0.0
    sin[np.abs(sin) < 1e-9] = 0.0
    re, im = win * cos, -win * sin
    im[0] = -1e-6 * re[0]
    return re, im


def _pass_stft(w: _Work) -> None:
    changed = False
    for node in list(w.nodes):
        if node.op_type != "STFT" or node.domain not in ("", "ai.onnx"):
            continue
        if _attrs(node).get("onesided", 1) != 1 or len(node.input) < 2:
            continue
        step = w.scalar(node.input[1])
        win = w.array(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        flen = w.scalar(node.input[3]) if len(node.input) > 3 and node.input[3] else None
        if step is None or (win is None and flen is None):
            continue
        n = int(flen) if flen is not None else int(win.size)
        win = np.ones(n) if win is None else win.astype(np.float64).reshape(-1)
        if win.size != n:
            continue
        nb = n // 2 + 1
        re, im = _stft_basis(n, int(step), win.astype(np.float32))
        basis = np.concatenate([re, im])[:, None, :].astype(np.float32)
        y = node.output[0]
        s3, c, r = w.uniq(y + "_sig3d"), w.uniq(y + "_conv"), w.uniq(y + "_ri")
        new = [
            helper.make_node("Reshape", [node.input[0], w.add_init(np.array([0, 1, -1], np.int64), y + "_shape3")], [s3], name=node.name + "_sig"),
            helper.make_node("Conv", [s3, w.add_init(basis, y + "_dft_basis")], [c], name=node.name + "_dft",
                             kernel_shape=[n], strides=[int(step)], pads=[0, 0]),
            helper.make_node("Reshape", [c, w.add_init(np.array([0, 2, nb, -1], np.int64), y + "_shape4")], [r], name=node.name + "_split"),
            helper.make_node("Transpose", [r], [y], name=node.name + "_layout", perm=[0, 3, 2, 1]),
        ]
        k = w.nodes.index(node)
        w.nodes[k:k + 1] = new
        changed = True
    if changed:
        w.index()


# --------------------------------------------------------------------------------------------
# pass 3: Snake  x + 1/a * sin(a x)^2  feeding a Conv -> fold 1/a into the Conv weights


def _pass_snake(w: _Work, helpers: list) -> None:
    for sin in [n for n in w.nodes if n.op_type == "Sin"]:
        m = _match_scaled_snake(w, sin)
        if m is None:
            continue
        _x, alpha, (m1, _sin, sq, m2, add), rnode = m
        # the dequantised Conv's old DynamicQuantizeLinear still reads the sum until finish()
        gone = {id(n) for n in helpers}
        users = [c for c in w.cons(add.output[0]) if id(c) not in gone]
        conv = users[0] if len(users) == 1 and users[0].op_type == "Conv" and add.output[0] not in w.outputs else None
        if conv is None or conv.input[0] != add.output[0]:
            continue
        wt = w.array(conv.input[1])
        a = alpha.reshape(-1)
        if wt is None or wt.ndim < 3 or _attrs(conv).get("group", 1) != 1 or wt.shape[1] != a.size:
            continue
        # u = a*x ; v = u + sin(u)^2 ; conv(x + sin(a x)^2 / a) == conv'(v) with W' = W / a (per input channel)
        scale = (1.0 / a).reshape((1, -1) + (1,) * (wt.ndim - 2))
        new_w = w.add_init((wt * scale).astype(np.float32), conv.input[1] + "_snakefold")
        sq_new = helper.make_node("Mul", [_sin.output[0], _sin.output[0]], [sq.output[0]], name=sq.name + "_sq")
        add_new = helper.make_node("Add", [m1.output[0], sq.output[0]], [add.output[0]], name=add.name + "_snake")
        conv.input[1] = new_w
        if rnode is not None:
            helpers.append(rnode)
        for old, new in ((sq, sq_new), (add, add_new)):
            w.nodes[w.nodes.index(old)] = new
        w.nodes.remove(m2)
        w.index()


# --------------------------------------------------------------------------------------------
# pass 4: AdaIN  (x - mean) / sqrt(var + eps) * g + b  over the time axis -> InstanceNormalization


def _match_norm(w: _Work, div: onnx.NodeProto):
    """Div(d, Sqrt(Add(ReduceMean(d*d), eps))) with d = Sub(x, ReduceMean(x)) over axis 2 of [N,C,T]."""
    d = div.input[0]
    sub = w.prod(d, "Sub")
    sqrt = w.prod(div.input[1], "Sqrt")
    if sub is None or sqrt is None:
        return None
    add_eps = w.prod(sqrt.input[0], "Add")
    if add_eps is None:
        return None
    eps_name = next((i for i in add_eps.input if w.scalar(i) is not None), None)
    if eps_name is None:
        return None
    var = w.prod(_other(add_eps, eps_name), "ReduceMean")
    mean = w.prod(sub.input[1], "ReduceMean")
    if var is None or mean is None or mean.input[0] != sub.input[0]:
        return None
    sq = w.prod(var.input[0], "Mul", "Pow")
    if sq is None or sq.input[0] != d or (sq.op_type == "Mul" and sq.input[1] != d) or (sq.op_type == "Pow" and w.scalar(sq.input[1]) != 2.0):
        return None
    for rm in (mean, var):
        axes = w.array(rm.input[1]) if len(rm.input) > 1 and rm.input[1] else _attrs(rm).get("axes")
        if axes is None or list(np.asarray(axes).reshape(-1)) not in ([2], [-1]) or _attrs(rm).get("keepdims", 1) != 1:
            return None
    chain = [mean, sub, sq, var, add_eps, sqrt]
    inside = {id(n) for n in chain} | {id(div)}
    for n in chain:
        for o in n.output:
            if o in w.outputs or o in PRESERVED_TENSORS or any(id(c) not in inside for c in w.cons(o)):
                return None
    x_shape = w.shapes.get(sub.input[0])
    if x_shape is not None and len(x_shape) != 3:
        return None
    return sub.input[0], w.scalar(eps_name), chain


def _channels(w: _Work, name: str) -> int | None:
    """C for a per-channel tensor of shape [1|N, C, 1] (from value_info or an initializer)."""
    a = w.array(name)
    shape = list(a.shape) if a is not None else w.shapes.get(name)
    if shape is None or len(shape) != 3 or shape[2] != 1 or not shape[1]:
        return None
    return int(shape[1])


def _pass_adain(w: _Work, helpers: list) -> None:
    for div in [n for n in w.nodes if n.op_type == "Div"]:
        m = _match_norm(w, div)
        if m is None:
            continue
        x, eps, chain = m
        n_out = div.output[0]
        if n_out in PRESERVED_TENSORS:
            continue
        affines = []
        for mul in w.cons(n_out):
            if mul.op_type != "Mul" or n_out in w.outputs:
                break
            g = _other(mul, n_out)
            add = w.sole(mul.output[0], "Add")
            if add is None:
                break
            b = _other(add, mul.output[0])
            c = _channels(w, g)
            if c is None or _channels(w, b) != c:
                break
            affines.append((mul, g, add, b, c))
        else:
            if not affines or len({a[4] for a in affines}) != 1:
                continue
            c = affines[0][4]
            flat = w.add_init(np.array([-1], np.int64), "onnx_speed_flat")
            new_nodes = []
            for mul, g, add, b, _ in affines:
                out = add.output[0]
                # fold a following per-channel Mul (the Snake's a*x) into the affine parameters
                post = w.sole(out, "Mul")
                pa = next((i for i in post.input if i != out and w.array(i) is not None), None) if post is not None else None
                if pa is not None and w.array(pa).size == c and (w.array(pa).ndim < 2 or w.array(pa).shape[-1] == 1):
                    av = w.array(pa).reshape(1, c, 1).astype(np.float32)
                    an = w.add_init(av, pa + "_r3")
                    g2, b2 = w.uniq(g + "_x_alpha"), w.uniq(b + "_x_alpha")
                    new_nodes += [helper.make_node("Mul", [g, an], [g2], name=g2), helper.make_node("Mul", [b, an], [b2], name=b2)]
                    g, b, out = g2, b2, post.output[0]
                    w.nodes.remove(post)
                if len(affines) == 1:
                    gs, bs = w.uniq(g + "_flat"), w.uniq(b + "_flat")
                    new_nodes += [
                        helper.make_node("Reshape", [g, flat], [gs], name=gs),
                        helper.make_node("Reshape", [b, flat], [bs], name=bs),
                        helper.make_node("InstanceNormalization", [x, gs, bs], [out], name=div.name + "_instnorm", epsilon=eps),
                    ]
                    w.nodes.remove(mul)
                    w.nodes.remove(add)
                    w.nodes.remove(div)
                else:
                    gm = w.uniq(mul.output[0] + "_a")
                    new_nodes += [helper.make_node("Mul", [n_out, g], [gm], name=mul.name),
                                  helper.make_node("Add", [gm, b], [out], name=add.name)]
                    w.nodes.remove(mul)
                    w.nodes.remove(add)
            if len(affines) > 1:
                ones = w.add_init(np.ones(c, np.float32), f"onnx_speed_ones_{c}")
                zeros = w.add_init(np.zeros(c, np.float32), f"onnx_speed_zeros_{c}")
                new_nodes.append(helper.make_node("InstanceNormalization", [x, ones, zeros], [n_out], name=div.name + "_instnorm", epsilon=eps))
                w.nodes.remove(div)
            w.nodes.extend(new_nodes)
            helpers.extend(chain)
            w.index()


# --------------------------------------------------------------------------------------------
# pass 5: Pow(x, 2) -> Mul(x, x);  pass 6: 1-D Conv -> 2-D Conv (ORT's NCHWc kernels)


def _pass_pow2(w: _Work) -> None:
    for k, n in enumerate(w.nodes):
        if n.op_type == "Pow" and w.scalar(n.input[1]) == 2.0:
            w.nodes[k] = helper.make_node("Mul", [n.input[0], n.input[0]], list(n.output), name=n.name + "_sq")
    w.index()


def _pass_conv2d(w: _Work, min_kernel: int) -> None:
    axes = None
    for _k, n in enumerate(list(w.nodes)):
        if n.op_type != "Conv" or n.domain not in ("", "ai.onnx"):
            continue
        wt = w.array(n.input[1])
        at = _attrs(n)
        if wt is None or wt.ndim != 3 or at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            continue
        if wt.shape[2] < min_kernel:  # 1x1 / 3-tap convs: the NCHWc reorders eat the gain
            continue
        if axes is None:
            axes = w.add_init(np.array([2], np.int64), "onnx_speed_axis2")
        y = n.output[0]
        a2 = dict(at)
        a2["kernel_shape"] = [1, int(wt.shape[2])]
        p = list(at.get("pads", [0, 0]))
        a2["pads"] = [0, p[0], 0, p[1]]
        a2["strides"] = [1] + list(at.get("strides", [1]))
        a2["dilations"] = [1] + list(at.get("dilations", [1]))
        w4 = w.add_init(np.ascontiguousarray(wt[:, :, None, :]), n.input[1] + "_2d")
        xi, yo = w.uniq(y + "_2d_in"), w.uniq(y + "_2d")
        new = [
            helper.make_node("Unsqueeze", [n.input[0], axes], [xi], name=n.name + "_to2d"),
            helper.make_node("Conv", [xi, w4] + list(n.input[2:]), [yo], name=n.name + "_2d", **a2),
            helper.make_node("Squeeze", [yo, axes], [y], name=n.name + "_to1d"),
        ]
        i = w.nodes.index(n)
        w.nodes[i:i + 1] = new
    w.index()


# --------------------------------------------------------------------------------------------


def dequantize_for_cpu(
    model: onnx.ModelProto,
    convs: bool = True,
    matmuls: bool = True,
    lstm: bool = True,
    stft: bool = True,
    adain: bool = True,
    snake: bool = True,
    conv2d: bool = True,
    conv2d_min_kernel: int = 5,
) -> onnx.ModelProto:
    """Return a copy of ``model`` rewritten for fast float32 execution on ORT's CPU provider.

    convs:   ``DQL -> ConvInteger -> (+int bias) -> Cast -> Mul`` becomes ``Conv(x, W, b)``.
    matmuls: ``DQL -> MatMulInteger -> Cast -> Mul`` becomes ``MatMul(x, W)``.
    lstm:    ``DynamicQuantizeLSTM`` becomes a standard float ``LSTM``.
    stft:    the iSTFTNet source ``STFT`` becomes a strided ``Conv`` with a windowed DFT basis.
    snake:   ``x + sin(a x)^2 / a`` feeding a Conv computes ``u + sin(u)^2`` (u = a x) and the
             ``1/a`` goes into the Conv weights (exact algebra, two fewer full-size passes).
    adain:   the decomposed instance norm ``(x - mean) / sqrt(var + eps) * g + b`` becomes one
             ``InstanceNormalization`` with the (dynamic) style ``g``/``b`` and the Snake ``a``
             folded into its scale/bias.
    conv2d:  1-D float Convs with >= ``conv2d_min_kernel`` taps run as ``Unsqueeze -> Conv 1xK
             -> Squeeze`` so ORT's NCHWc (blocked AVX/AVX-512) convolution kernels handle them.

    Pure function: ``model`` is not modified.  The output tensor of every rewritten pattern
    keeps its name, and :data:`PRESERVED_TENSORS` are never renamed or removed.
    """
    out = onnx.ModelProto()
    out.CopyFrom(model)
    w = _Work(out.graph)
    helpers: list[onnx.NodeProto] = []
    if convs or matmuls or lstm:
        _pass_dequantize(w, convs, matmuls, lstm, helpers)
    if stft:
        _pass_stft(w)
    if snake:
        _pass_snake(w, helpers)
    if adain:
        _pass_adain(w, helpers)
    _pass_pow2(w)
    if conv2d:
        _pass_conv2d(w, conv2d_min_kernel)
    w.finish(helpers)
    if not any(o.domain == "" for o in out.opset_import):
        out.opset_import.append(helper.make_opsetid("", 17))
    return out


def cpu_session_options(threads: int | None = None):
    """onnxruntime SessionOptions tuned for this graph on CPU."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or max(1, os.cpu_count() or 1)
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # idle pool threads sleep instead of spinning: the engine's three stages each have a pool, and
    # a render runs beside the editor's playback; measured on 2 cores, renders were 3 % faster too
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return so


# --------------------------------------------------------------------------------------------
# Snake matchers shared with pass 3 and engine/embedded/onnx_native.py


def _square_of(w: _Work, s: str) -> onnx.NodeProto | None:
    """The node computing s*s (or s^2) when it is the only user of ``s``."""
    users = {id(c): c for c in w.cons(s)}
    if len(users) != 1 or s in w.outputs or s in PRESERVED_TENSORS:
        return None
    sq = next(iter(users.values()))
    if sq.domain not in ("", "ai.onnx"):
        return None
    if sq.op_type == "Mul" and sq.input[0] == sq.input[1] == s:
        return sq
    if sq.op_type == "Pow" and sq.input[0] == s and w.scalar(sq.input[1]) == 2.0:
        return sq
    return None


def _match_scaled_snake(w: _Work, sin: onnx.NodeProto):
    """``x + sin(a x)^2 / a`` around ``sin``, a per channel of an [N, C, T] tensor, as
    (x, a shaped [1, C, 1], its nodes [a*x, sin, square, scale, add], the Reciprocal of a or None).
    """
    sq = _square_of(w, sin.output[0])
    m2 = w.sole(sq.output[0], "Mul") if sq is not None else None
    m1 = w.prod(sin.input[0], "Mul")
    if m2 is None or m1 is None or w.sole(m1.output[0], "Sin") is not sin:
        return None
    alpha_name = next((i for i in m1.input if w.array(i) is not None), None)
    if alpha_name is None:
        return None
    alpha = w.array(alpha_name).astype(np.float32)
    x = _other(m1, alpha_name)
    if alpha.ndim != 3 or alpha.shape[0] != 1 or alpha.shape[2] != 1 or alpha.size < 2 or not np.all(alpha != 0):
        return None
    r_name = _other(m2, sq.output[0])
    recip = w.array(r_name)
    rnode = w.prod(r_name, "Reciprocal")
    if recip is None and rnode is not None and rnode.input[0] == alpha_name:
        recip = 1.0 / alpha  # the v1.0 export computes 1/a in the graph
    else:
        rnode = None
    if recip is None or recip.shape != alpha.shape or not np.allclose(recip * alpha, 1.0, rtol=1e-5):
        return None
    add = w.sole(m2.output[0], "Add")
    if add is None or _other(add, m2.output[0]) != x:
        return None
    return x, alpha, [m1, sin, sq, m2, add], rnode
