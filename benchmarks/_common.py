"""Shared helpers: timing, peak memory in worker processes, machine description, reference import."""

from __future__ import annotations

import datetime
import gc
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(os.environ.get("GEM_CNN_REF", "/tmp/ref/gem"))
STUBS = Path(os.environ.get("GEM_CNN_STUBS", "/tmp/ref/stubs"))


def import_reference(path: Path | None = None) -> bool:
    """Put the reference checkout and the stand-ins on sys.path; False if there is none."""
    path = path or REFERENCE
    if not (path / "gem_cnn").is_dir():
        return False
    for p in (STUBS, path):
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))
    return True


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    return (
        f"{cpu}, {os.cpu_count()} cores visible, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads){gpu}, Python {platform.python_version()}"
    )


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """Reset the kernel's peak-RSS watermark (VmHWM) of this process."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def measure(fn, repeats: int = 5, warmup: int = 1) -> dict:
    """Median wall time of ``fn`` and its peak extra resident memory (MB) over the timed calls."""
    for _ in range(warmup):
        fn()
    gc.collect()
    reset_peak()
    base = rss_mb()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return {
        "time_s": times[len(times) // 2],
        "min_s": times[0],
        "peak_mb": rss_mb("VmHWM") - base,
    }


def run_worker(script: Path, args: list[str], timeout: int = 1800) -> dict:
    """Run ``script --worker ...`` in a fresh process; it prints one JSON line last."""
    env = dict(os.environ, OMP_NUM_THREADS="2", MKL_NUM_THREADS="2", PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        [sys.executable, str(script), "--worker", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def append_markdown(title: str, command: str, table: str, notes: str = "") -> str:
    """Append a section to BENCHMARKS.md and return it."""
    date = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    text = (
        f"\n## {title}\n\n"
        f"- command: `{command}`\n- machine: {machine()}\n- date: {date}\n\n{table}\n"
        + (f"\n{notes}\n" if notes else "")
    )
    path = ROOT / "BENCHMARKS.md"
    if not path.exists():
        path.write_text("# Benchmarks\n\nMeasured side by side; see `benchmarks/README.md`.\n")
    with path.open("a") as fh:
        fh.write(text)
    return text
