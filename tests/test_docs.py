"""The documentation: the mkdocs site (with the API reference from the docstrings) builds with
warnings as errors, every public callable has a docstring, the documented examples run, and the
code cites the design page that exists."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PUBLIC_MODULES = [
    "gaugeconv",
    "gaugeconv.data",
    "gaugeconv.geometry",
    "gaugeconv.geometry.shapes",
    "gaugeconv.groups",
    "gaugeconv.ico",
    "gaugeconv.mobius",
    "gaugeconv.models",
    "gaugeconv.nn",
    "gaugeconv.testing",
    "gaugeconv.training",
    "gaugeconv.transforms",
]
#: owned by work in progress elsewhere (issue 10 rewrites the checkpoint module): document there
NOT_YET_DOCUMENTED = {"gaugeconv.training.set_rng_state"}


def test_docs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    res = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    api = (tmp_path / "api" / "nn" / "index.html").read_text()
    assert "MeshPool" in api and "Transported average pooling" in api  # docstrings rendered
    assert (tmp_path / "design" / "index.html").is_file()


def test_every_public_callable_has_a_docstring():
    missing = []
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        assert exported, f"{name} has no __all__"
        for attr in exported:
            obj = getattr(module, attr)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            if not (obj.__doc__ or "").strip() and f"{name}.{attr}" not in NOT_YET_DOCUMENTED:
                missing.append(f"{name}.{attr}")
    assert not missing, f"public callables without a docstring: {missing}"


def test_testing_page_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "testing.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/testing.md", "exec"), namespace)
    assert 0 < namespace["error"] < 1e-9


def test_citations_point_to_the_design_page():
    """Docstrings and the README cite docs/design.md (DESIGN.md is not in the repository)."""
    design = (ROOT / "docs" / "design.md").read_text()
    for heading in ("## The gauge graph", "## Features", "## Gauge transformations"):
        assert heading in design
    citing = [
        str(p.relative_to(ROOT))
        for p in [ROOT / "README.md", *sorted((ROOT / "gaugeconv").rglob("*.py"))]
        if "DESIGN.md" in p.read_text()
    ]
    # gem_conv.py is being rewritten elsewhere; its one citation is fixed when that lands
    assert set(citing) <= {"gaugeconv/nn/gem_conv.py"}, citing
    assert "docs/design.md" in (ROOT / "gaugeconv" / "graph.py").read_text()
