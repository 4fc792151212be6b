"""The gaugeconv command."""

import subprocess
import sys

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
