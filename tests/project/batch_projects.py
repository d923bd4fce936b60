"""Small projects for the batch tests: a line shared by two projects, short lines (the machine is slow)."""

from __future__ import annotations

import shutil
from pathlib import Path

from project import model as pj

LINES = (("你好。", "我们走吧。", "Wait for me."), ("你好。", "天气很好。"), ("Thank you.", "再见。"))


def make_projects(folder: Path, lines=LINES) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, texts in enumerate(lines, 1):
        p = pj.Project()
        for j, text in enumerate(texts):
            p.tracks[0].regions.append(pj.Region(start=0.3 + 1.5 * j, end=1.4 + 1.5 * j, text=text))
        path = folder / f"ep{i}.dubline"
        pj.save(p, path, backup=False)
        paths.append(path)
    return paths


def copy_projects(paths: list[Path], folder: Path) -> list[Path]:
    """The same projects in another folder, without their caches (a fresh render)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(p, folder / p.name)) for p in paths]


def cache_keys(path: Path) -> set[str]:
    return {f.stem for f in pj.cache_dir_for(path).glob("*.wav")}


def reference_renders(paths: list[Path], folder: Path) -> dict[str, bytes]:
    """``dubline render`` of each project (copied, so nothing is shared with the batch): name -> WAV bytes."""
    from cli.main import main

    out = {}
    for p in copy_projects(paths, folder):
        wav = folder / f"{p.stem}.wav"
        assert main(["render", str(p), "-o", str(wav)]) == 0
        out[p.stem] = wav.read_bytes()
    return out
