"""IcoUNet: (B, C, V) -> (B, K, V), equivariant under the 60 rotations, with scalar and vector
inputs."""

from __future__ import annotations

import pytest
import torch

from gaugeconv.ico import FieldType, get_atlas, get_symmetry
from gaugeconv.models import IcoUNet

from .ico_harness import act, one_thread  # noqa: F401  (fixture)

LEVEL = 3


def _model(dtype=torch.float64, seed=0, **kw):
    torch.manual_seed(seed)
    kw = {"width": 2, "depth": 2, **kw}
    model = IcoUNet(kw.pop("in_channels", 3), 4, LEVEL, **kw).to(dtype)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # random weights, biases and norm affines
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=dtype) * 0.5)
    return model


def _rotate_input(g, x, model):
    """Scalars move with the vertices; (east, north) pairs are rotated tangent vectors."""
    out = x.clone()
    sc = model.scalar_channels
    out[:, sc] = act(LEVEL, g, x[:, sc], FieldType.scalar(len(sc)))
    if model.vector_channels:
        vc = model.vector_channels
        out[:, vc] = get_symmetry(LEVEL).act_vectors(g, x[:, vc])
    return out


def _error(model, x):
    y = model(x)
    scale = y.abs().max().item()
    err = 0.0
    for g in range(60):
        lhs = model(_rotate_input(g, x, model))
        rhs = act(LEVEL, g, y, FieldType.scalar(y.shape[1]))
        err = max(err, (lhs - rhs).abs().max().item() / scale)
    return err


@pytest.mark.parametrize(
    "kw",
    [
        {},  # batch norm, training mode (batch statistics)
        {"norm": "layer", "pool": "mean"},
        {"norm": None},
        {"vector_pairs": [(1, 2)]},  # channel 0 scalar, channels (1, 2) an (east, north) wind
    ],
    ids=["batchnorm", "layernorm-meanpool", "no-norm-bias", "vector-input"],
)
def test_unet_is_equivariant_under_all_60_rotations(kw):
    model = _model(**kw)
    x = torch.randn(2, 3, get_atlas(LEVEL).n_vertices, dtype=torch.float64)
    assert _error(model, x) < 1e-9


def test_unet_eval_mode_and_float32():
    model = _model(vector_pairs=[(0, 1)])
    x = torch.randn(2, 3, get_atlas(LEVEL).n_vertices, dtype=torch.float64)
    model.train()
    for _ in range(3):
        model(x)  # running statistics
    model.eval()
    assert _error(model, x) < 1e-9
    model32 = model.float()
    assert _error(model32, x.float()) < 1e-5


def test_unet_shapes_gradients_and_pentagon_outputs():
    model = IcoUNet(5, 7, LEVEL, width=2)
    assert model.depth == 2
    atlas = get_atlas(LEVEL)
    x = torch.randn(2, 5, atlas.n_vertices, requires_grad=True)
    y = model(x)
    assert y.shape == (2, 7, atlas.n_vertices)
    y.square().mean().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    # the 12 pentagon vertices carry the mean of their 5 neighbours
    nb = torch.as_tensor(atlas.pentagon_neighbours)
    assert torch.allclose(y[..., :12], y[..., nb].mean(-1))
    # ... and the network ignores the input there
    x2 = x.detach().clone()
    x2[..., :12] = 100.0
    model.eval()
    assert torch.equal(model(x2), model(x.detach()))


def test_unet_rejects_bad_configurations_and_inputs():
    with pytest.raises(ValueError, match="depth"):
        IcoUNet(3, 2, 2, depth=2)
    with pytest.raises(ValueError, match="vector_pairs"):
        IcoUNet(3, 2, 2, vector_pairs=[(1, 3)])
    with pytest.raises(ValueError, match="vector_pairs"):
        IcoUNet(3, 2, 2, vector_pairs=[(1, 1)])
    with pytest.raises(ValueError, match="norm"):
        IcoUNet(3, 2, 2, norm="group")
    model = IcoUNet(3, 2, 2, width=1)
    with pytest.raises(ValueError, match="162"):
        model(torch.zeros(1, 3, 642))
    with pytest.raises(ValueError, match="channels|expected input"):
        model(torch.zeros(1, 4, 162))
