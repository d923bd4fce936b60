"""Hostile-input harness: the `dubline` CLI, run as a user would, on generated hostile inputs.

Counts per category: inputs tried, clean one-line refusals (exit 2, one ``dubline: error:``
line, no traceback), accepted (exit 0), tracebacks, hangs (timeouts), files changed that
should not have been (anything in the work folder outside the command's output and the
render cache), and wrong-audio cache hits (a damaged cache entry whose audio reaches the mix).

    python benchmarks/bench_hostile.py [--quick] [--timeout 60]

Everything happens in a temporary folder (``$DUBLINE_DATA`` points into it too); figures are
printed, nothing is pass/fail.  Goal: 0 tracebacks, 0 hangs, 0 foreign files touched, 0 wrong-audio hits.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable


def snapshot(folder: Path) -> dict[str, str]:
    out = {}
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            try:
                out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
            except OSError:
                pass
    return out


def changed(before: dict, after: dict, allowed: tuple[str, ...]) -> list[str]:
    def ok(name: str) -> bool:
        return any(name == a or name.startswith(a.rstrip("/") + "/") for a in allowed)

    bad = [n for n, d in before.items() if not ok(n) and after.get(n) != d]
    bad += [n for n in after.keys() - before.keys() if not ok(n)]
    return sorted(bad)


class Tally:
    def __init__(self):
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.notes: dict[str, list[str]] = defaultdict(list)

    def run(self, cat: str, argv: list[str], cwd: Path, watch: Path, allowed: tuple[str, ...] = (),
            timeout: float = 60.0, expect_ok: bool = False) -> subprocess.CompletedProcess | None:
        c = self.counts[cat]
        c["tried"] += 1
        before = snapshot(watch)
        env = {**os.environ, "PYTHONPATH": str(REPO), "DUBLINE_DATA": str(watch / ".data"),
               "DUBLINE_ENROLL_ITERATIONS": "0", "QT_QPA_PLATFORM": "xcb"}
        env.pop("DISPLAY", None)  # no display: `dubline typo.dubline` must not open (or render) anything
        env.pop("WAYLAND_DISPLAY", None)
        try:
            r = subprocess.run([PY, "-m", "cli.main", *argv], cwd=cwd, capture_output=True, text=True,
                               timeout=timeout, env=env, errors="replace")
        except subprocess.TimeoutExpired:
            c["hangs"] += 1
            self.notes[cat].append(f"hang: {argv}")
            return None
        err = r.stderr
        if "Traceback" in err:
            c["tracebacks"] += 1
            self.notes[cat].append(f"traceback: {argv[:4]} -> {err.strip().splitlines()[-1][:120]}")
        elif r.returncode == 2 and sum(ln.startswith("dubline: error:") for ln in err.splitlines()) == 1:
            c["clean refusals"] += 1
        elif r.returncode == 0:
            c["accepted"] += 1
            if not expect_ok:
                self.notes[cat].append(f"accepted: {argv[:4]}")
        else:
            c["other exits"] += 1
            self.notes[cat].append(f"exit {r.returncode}: {argv[:4]} {err.strip()[-160:]}")
        bad = changed(before, snapshot(watch), allowed + (".data",))
        if bad:
            c["foreign files changed"] += len(bad)
            self.notes[cat].append(f"changed {bad[:3]} by {argv[:4]}")
        return r

    def print(self):
        cols = ["tried", "clean refusals", "accepted", "tracebacks", "hangs", "foreign files changed",
                "wrong-audio cache hits"]
        print(f"{'category':<14}" + "".join(f"{c:>12}" for c in ["tried", "refused", "accepted", "traceback",
                                                                  "hangs", "foreign", "wrong-audio"]))
        total = Counter()
        for cat, c in self.counts.items():
            print(f"{cat:<14}" + "".join(f"{c[k]:>12}" for k in cols))
            total.update(c)
        print(f"{'total':<14}" + "".join(f"{total[k]:>12}" for k in cols))
        for cat, notes in self.notes.items():
            for n in notes[:8]:
                print(f"  [{cat}] {n}")


# ---------------------------------------------------------------- inputs
def base_project() -> dict:
    sys.path.insert(0, str(REPO))
    from project import model as pj

    p = pj.Project(sample_rate=24000)
    p.tracks[0].regions = [pj.Region(id="r1", start=0.1, end=0.7, text="你好")]
    p.markers = [pj.Marker(id="m1", time=0.5)]
    return json.loads(pj.dumps(p))


def make_video(path: Path) -> None:
    import av
    import numpy as np

    c = av.open(str(path), "w")
    v = c.add_stream("libx264", rate=25)
    v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
    for i in range(25):
        for pkt in v.encode(av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 9, np.uint8), format="rgb24")):
            c.mux(pkt)
    for pkt in v.encode():
        c.mux(pkt)
    c.close()


def hostile_projects(base: dict, rng: random.Random, n_random: int) -> list[tuple[str, str]]:
    """(label, file text) pairs: the issue's cases, then seeded random mutations."""
    def with_(path, value):
        d = copy.deepcopy(base)
        node = d
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
        return d

    reg = ("tracks", 0, "regions", 0)
    cases = [
        ("id absolute", with_(reg + ("id",), "/tmp/dubline-victim/recording")),
        ("id ../", with_(reg + ("id",), "../../../x")),
        ("end 1e308", with_(reg + ("end",), 1e308)),
        ("duration 20000", with_(("media",), {"path": "v.mp4", "duration": 20000})),
        ("sample_rate 1e9", with_(("sample_rate",), 1_000_000_000)),
        ("sample_rate 1e7", with_(("sample_rate",), 10_000_000)),
        ("emotion text list", with_(reg + ("emotion",), {"text": ["a"]})),
        ("emotion audio 5", with_(reg + ("emotion",), {"audio": 5})),
        ("emotion audio /dev/zero", with_(reg + ("emotion",), {"audio": "/dev/zero"})),
        ("media path 5000", with_(("media",), {"path": "x" * 5000, "duration": 1})),
        ("voice ../", with_(("voices",), [{"name": "v", "path": "../../v.dvoice"}])),
        ("region voice path", with_(reg + ("voice",), "../../../etc/passwd")),
    ]
    texts = [(label, json.dumps(d)) for label, d in cases]
    raw = json.dumps(base)
    texts += [
        ("int 5000 digits", raw.replace('"end": 0.7', '"end": 1' + "0" * 5000)),
        ("1e400", raw.replace('"end": 0.7', '"end": 1e400')),
        ("NaN", raw.replace('"end": 0.7', '"end": NaN')),
        ("Infinity anchor", raw.replace('"anchors": []', '"anchors": [[0, Infinity]]')),
        ("lone surrogate text", raw.replace('"text": "\\u4f60\\u597d"', '"text": "\\u4f60\\u597d\\ud800"')),
        ("lone surrogate glossary", raw.replace('"glossary": {}', '"glossary": {"\\ud800": "a"}')),
        ("truncated", raw[: len(raw) // 2]),
        ("empty", ""),
        ("not json", "\x00\x01garbage"),
    ]
    values = [None, True, -1, 1e308, 10**20, "", "../x", "/etc/passwd", "x" * 3000, [], {}, [1, "a"],
              {"vector": [9] * 8}, 0.0, 5, "jm_kumo", "a/b.wav"]

    def paths(node, prefix=()):
        if prefix:
            yield prefix
        if isinstance(node, dict):
            for k, v in node.items():
                yield from paths(v, prefix + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from paths(v, prefix + (i,))

    for i in range(n_random):
        d = copy.deepcopy(base)
        ps = list(paths(d))
        path = rng.choice(ps)
        node = d
        for k in path[:-1]:
            node = node[k]
        if rng.random() < 0.2 and isinstance(node, dict):
            del node[path[-1]]
        else:
            node[path[-1]] = rng.choice(values)
        texts.append((f"random {i}", json.dumps(d)))
    return texts


CACHE_DAMAGE = ["flip bytes", "truncate", "other clip", "other clip+sidecar", "NaN", "header rate",
                "one hour", "bogus timings", "sidecar rate", "empty wav", "device"]


def damage(kind: str, folder: Path, key: str, other: str) -> None:
    import numpy as np
    import soundfile as sf

    wav, meta = folder / f"{key}.wav", folder / f"{key}.json"
    if kind == "flip bytes":
        b = bytearray(wav.read_bytes())
        b[len(b) // 2] ^= 0x40
        wav.write_bytes(bytes(b))
    elif kind == "truncate":
        wav.write_bytes(wav.read_bytes()[: wav.stat().st_size * 2 // 3])
    elif kind == "other clip":
        shutil.copy(folder / f"{other}.wav", wav)
    elif kind == "other clip+sidecar":
        shutil.copy(folder / f"{other}.wav", wav)
        shutil.copy(folder / f"{other}.json", meta)
    elif kind == "NaN":
        a, sr = sf.read(wav, dtype="float32")
        a[50] = np.nan
        sf.write(wav, a, sr, subtype="FLOAT")
    elif kind == "header rate":
        a, sr = sf.read(wav, dtype="float32")
        sf.write(wav, a, sr * 2, subtype="FLOAT")
    elif kind == "one hour":
        sf.write(wav, np.zeros(3600 * 8000, np.float32), 8000, subtype="PCM_16")
    elif kind == "bogus timings":
        info = json.loads(meta.read_text())
        for u in info.get("units", []):
            u["start_seconds"], u["end_seconds"] = 50.0, 99.0
        meta.write_text(json.dumps(info))
    elif kind == "sidecar rate":
        info = json.loads(meta.read_text())
        info["sample_rate"] = 48000
        meta.write_text(json.dumps(info))
    elif kind == "empty wav":
        wav.write_bytes(b"")
    elif kind == "device":
        wav.unlink()
        wav.symlink_to("/dev/zero")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer random projects and kills")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tally = Tally()
    t0 = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="dubline-hostile-"))
    try:
        w = root / "work"
        w.mkdir()
        base = base_project()
        (w / "p.dubline").write_text(json.dumps(base, ensure_ascii=False, indent=2), encoding="utf-8")
        make_video(w / "video.mp4")
        vbase = copy.deepcopy(base)
        vbase["media"] = {"path": "video.mp4", "abs_path": str(w / "video.mp4"), "has_video": True, "duration": 1.0}
        (w / "v.dubline").write_text(json.dumps(vbase), encoding="utf-8")
        (w / "s.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\n你好\n", encoding="utf-8")
        (w / "voices").mkdir()
        outside = root / "victim.dvoice"
        outside.write_bytes(b"someone else's")
        (w / ".data" / "voices").mkdir(parents=True)
        (w / ".data" / "voices" / "broken.dvoice").write_bytes(b"PK\x03\x04truncated")
        # warm the render cache (and check a plain render works)
        (w / "out").mkdir()
        tally.run("setup", ["render", "p.dubline", "-o", "out/mix.wav"], w, w, ("out", "p.dubline-cache"),
                  args.timeout, expect_ok=True)

        # ---------------------------------------------------------- command lines
        cli = [
            (["voice", "remove", "../../victim"], ()), (["voice", "show", "../../victim"], ()),
            (["voice", "remove", str(outside.with_suffix(""))], ()), (["voice", "show", "/etc/passwd"], ()),
            (["voice", "list"], ()), (["voice", "show", "broken"], ()),
            (["say", "你好", "--voice", "broken", "-o", "out/x.wav"], ("out",)),
            (["render", "p.dubline", "--format", "srt", "-o", "p.dubline"], ()),
            (["render", "p.dubline", "--format", "otio", "-o", "p.dubline"], ()),
            (["render", "v.dubline", "-o", "video.mp4"], ()),
            (["render", "v.dubline", "--format", "wav", "-o", "video.mp4"], ()),
            (["keyframes", "video.mp4", "-o", "p.dubline"], ()),
            (["keyframes", "video.mp4", "-o", "video.mp4"], ()),
            (["keyframes", "video.mp4", "-o", "missing/k.csv"], ()),
            (["keyframes", "video.mp4", "-o", "/sys/k.csv"], ()),
            (["render", "p.dubline", "--format", "stems", "-o", "s.srt"], ()),
            (["render", "v.dubline", "-o", "/sys/x.mp4"], ()), (["render", "v.dubline", "-o", "/sys/x.mkv"], ()),
            (["render", "p.dubline", "-o", "/sys/x.otio"], ()), (["render", "p.dubline", "-o", "/sys/x.wav"], ()),
            (["render", "p.dubline", "--format", "stems", "-o", "/sys/st"], ()),
            (["render", "p.dubline", "--format", "clips", "-o", "/sys/cl"], ()),
            (["render", "/dev/zero", "-o", "out/x.wav"], ("out",)),
            (["render", "missing.dubline", "-o", "out/x.wav"], ("out",)),
            (["render", "p.dubline", "-o", "out/x.xyz"], ("out",)),
            (["new", ".", "--subtitles", "s.srt"], ()),
            (["new", "n.dubline", "--media", "/dev/zero"], ()),
            (["new", "n.dubline", "--subtitles", "/dev/zero"], ()),
            (["new", "n.dubline", "--keyframes", "/dev/zero"], ()),
            (["new", "p.dubline"], ()),
            (["typo.dubline"], ()),
            (["say", "XING9 你好", "-o", "out/x.wav"], ("out",)),
            (["say", "你好", "--emotion-vector", "angry=2", "-o", "out/x.wav"], ("out",)),
            (["say", "你好", "--emotion-audio", "/dev/zero", "-o", "out/x.wav"], ("out",)),
            (["say", "你好", "--voice", "s.srt", "-o", "out/x.wav"], ("out",)),
            (["say", "你好", "--voice", "out/mix.wav", "-o", "out/x.wav"], ("out",)),
            (["say", "你好", "-o", "/sys/x.wav"], ()),
            (["say", "你好", "-o", "out/x.mp3"], ("out",)),
            (["say", "你好", "--duration", "1e400", "-o", "out/x.wav"], ("out",)),
            (["say", "你好", "--duration", "nan", "-o", "out/x.wav"], ("out",)),
            (["say", "x" * 5000, "-o", "out/x.wav"], ("out",)),
            (["say", "你好", "-o", "out/" + "x" * 300 + ".wav"], ("out",)),
        ]
        for argv, allowed in cli:
            tally.run("cli", argv, w, root, tuple(f"work/{a}" for a in allowed)
                      + ("work/p.dubline-cache", "work/v.dubline-cache"),  # rendering may fill the render caches
                      args.timeout, expect_ok=argv[:2] == ["voice", "list"])

        # ---------------------------------------------------------- project files
        for label, text in hostile_projects(base, rng, 12 if args.quick else 40):
            d = root / "proj"
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir()
            (d / "h.dubline").write_text(text, encoding="utf-8", errors="surrogatepass")
            victim = Path("/tmp/dubline-victim")
            victim.mkdir(exist_ok=True)
            (victim / "recording.wav").write_bytes(b"precious")
            before_v = snapshot(victim)
            for fmt in ("wav", "otio", "srt", "stems"):
                out = "o_" + fmt if fmt == "stems" else f"o.{fmt}"
                r = tally.run("projects", ["render", "h.dubline", "--format", fmt, "-o", out], d, root,
                              (f"proj/{out}", "proj/h.dubline-cache", "proj/o_clips"), args.timeout, expect_ok=True)
                if r is not None and r.returncode == 2:
                    break  # refused at load: the other formats would be refused the same way
            if snapshot(victim) != before_v:
                tally.counts["projects"]["foreign files changed"] += 1
                tally.notes["projects"].append(f"{label}: touched /tmp/dubline-victim")

        # ---------------------------------------------------------- render cache damage
        import numpy as np
        import soundfile as sf

        c = root / "cache"
        c.mkdir()
        two = copy.deepcopy(base)
        two["tracks"][0]["regions"].append({**two["tracks"][0]["regions"][0], "id": "r2", "start": 1.0,
                                            "end": 1.6, "text": "再见"})
        (c / "c.dubline").write_text(json.dumps(two), encoding="utf-8")
        tally.run("cache", ["render", "c.dubline", "-o", "ref.wav"], c, c, ("ref.wav", "c.dubline-cache"),
                  args.timeout, expect_ok=True)
        ref, _ = sf.read(c / "ref.wav", dtype="float32")
        pristine = root / "pristine-cache"
        shutil.copytree(c / "c.dubline-cache", pristine)
        keys = sorted(p.stem for p in pristine.glob("*.json"))
        # which key is region r1's: the one whose clip is 0.6 s long
        k1 = next(k for k in keys if sf.info(str(pristine / f"{k}.wav")).frames == round(0.6 * 24000))
        k2 = next(k for k in keys if k != k1)
        for kind in CACHE_DAMAGE:
            shutil.rmtree(c / "c.dubline-cache")
            shutil.copytree(pristine, c / "c.dubline-cache")
            damage(kind, c / "c.dubline-cache", k1, k2)
            r = tally.run("cache", ["render", "c.dubline", "-o", "out.wav"], c, c, ("out.wav", "c.dubline-cache"),
                          args.timeout, expect_ok=True)
            if r is not None and r.returncode == 0:
                out, _ = sf.read(c / "out.wav", dtype="float32")
                if len(out) != len(ref) or not np.allclose(out, ref, atol=2e-4):
                    tally.counts["cache"]["wrong-audio cache hits"] += 1
                    tally.notes["cache"].append(f"{kind}: the mix differs from the clean render")

        # ---------------------------------------------------------- kills during save
        k = root / "kills"
        k.mkdir()
        big = copy.deepcopy(base)
        big["tracks"][0]["regions"] = [{**base["tracks"][0]["regions"][0], "id": f"r{i}", "start": i * 1.0,
                                        "end": i * 1.0 + 0.5, "text": "你好" * 20} for i in range(3000)]
        (k / "k.dubline").write_text(json.dumps(big), encoding="utf-8")
        saver = (f"import sys; sys.path.insert(0, {str(REPO)!r})\nfrom project import model as pj\n"
                 "p = pj.load('k.dubline')\nwhile True:\n    pj.save(p, 'k.dubline')\n")
        kc = tally.counts["kills"]
        for _ in range(5 if args.quick else 20):
            kc["tried"] += 1
            proc = subprocess.Popen([PY, "-c", saver], cwd=k, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.5, 2.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            r = subprocess.run([PY, "-c", f"import sys; sys.path.insert(0, {str(REPO)!r})\nfrom project import model as pj\n"
                                "pj.load('k.dubline')"], cwd=k, capture_output=True, text=True)
            if r.returncode == 0:
                kc["intact after kill"] += 1
            else:
                kc["tracebacks"] += 1
                tally.notes["kills"].append("project unreadable after a kill")
        orphans_before = len(list(k.glob(".*.tmp")))
        for t in k.glob(".*.tmp"):
            os.utime(t, (time.time() - 3600, time.time() - 3600))
        subprocess.run([PY, "-c", f"import sys; sys.path.insert(0, {str(REPO)!r})\nfrom project import model as pj\n"
                        "pj.save(pj.load('k.dubline'), 'k.dubline')"], cwd=k)
        orphans_after = len(list(k.glob(".*.tmp")))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree("/tmp/dubline-victim", ignore_errors=True)
    print(f"bench_hostile: {time.perf_counter() - t0:.0f} s, seed {args.seed}")
    tally.print()
    print(f"kills during save: {tally.counts['kills']['intact after kill']}/{tally.counts['kills']['tried']} "
          f"left a readable project; orphan temp files {orphans_before} before the next save, {orphans_after} after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
