"""The gaugeconv command."""

import subprocess
import sys

import pytest
import torch

from gaugeconv.cli import main


def test_preprocess_default_mesh(tmp_path, capsys):
    out = tmp_path / "g.pt"
    assert main(["preprocess", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for word in (
        "vertices            2930",
        "orientable          yes",
        "genus               0",
        "2 pi chi",
    ):
        assert word in text
    graph = torch.load(out, weights_only=True)
    assert graph["edge_index"].shape == (2, 17568)
    assert graph["edge_log"].dtype == torch.float32


def test_preprocess_options_and_errors(tmp_path, capsys):
    out = tmp_path / "b.pt"
    assert (
        main(
            [
                "preprocess",
                "bunny",
                "--k",
                "2",
                "--float64",
                "--out",
                str(out),
                "--cache-dir",
                str(tmp_path / "c"),
            ]
        )
        == 0
    )
    assert torch.load(out, weights_only=True)["edge_log"].dtype == torch.float64
    assert list((tmp_path / "c").glob("*.npz"))
    assert main(["preprocess", str(tmp_path / "nope.obj")]) == 2
    assert "no mesh file" in capsys.readouterr().err
    bad = tmp_path / "bad.off"
    bad.write_text("OFF\n3 1 0\n0 0 0\n1 0 0\nnan 1 0\n3 0 1 2\n")
    assert main(["preprocess", str(bad), "--out", str(tmp_path / "x.pt")]) == 2
    assert "non-finite" in capsys.readouterr().err


def test_console_script_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "gaugeconv.cli", "preprocess", "--out", str(tmp_path / "s.pt")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "total angle defect" in proc.stdout


def test_missing_extras_name_the_fix(tmp_path, capsys, monkeypatch):
    """Without xarray / scikit-learn the command says which extra to install, in one line."""
    monkeypatch.setitem(sys.modules, "xarray", None)  # import xarray now fails
    args = ["train", "climate", "--quick", "--out", str(tmp_path / "c"), "--no-progress"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert (
        err.strip() == "gaugeconv: error: xarray is not installed: pip install 'gaugeconv[climate]'"
    )
    monkeypatch.delitem(sys.modules, "xarray")
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    args = ["train", "mobius", "--quick", "--out", str(tmp_path / "m"), "--no-progress"]
    assert main(args) == 2
    assert "pip install 'gaugeconv[mobius]'" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_unavailable_device_is_one_line(tmp_path, capsys):
    for task in ("segmentation", "climate"):
        args = ["train", task, "--quick", "--device", "cuda", "--out", str(tmp_path)]
        assert main(args) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "--device cuda" in err and "--device cpu" in err
    assert main(["train", "segmentation", "--device", "gpu0", "--out", str(tmp_path)]) == 2
    assert "not a device name" in capsys.readouterr().err


def test_mobius_accepts_model_and_the_deprecated_models(capsys):
    from gaugeconv.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["train", "mobius", "--model", "regular", "irreps"])
    assert args.models == ["regular", "irreps"]
    assert capsys.readouterr().err == ""
    args = parser.parse_args(["train", "mobius", "--models", "regular"])
    assert args.models == ["regular"]
    assert "--models is deprecated; use --model" in capsys.readouterr().err
    assert parser.parse_args(["train", "mobius", "--model", "all"]).models == ["all"]
