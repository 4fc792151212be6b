"""Order-1 features <-> 3-D tangent vectors: round trips, the gauge law, the 3-D rotation law, errors,
and the documented example that learns a tangent vector field."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from gaugeconv import gauge_graph, shapes
from gaugeconv.features import from_tangent_vectors, invariant_features, to_tangent_vectors
from gaugeconv.nn import GemConv

from .gauge_law import random_gauge, transform_features, transform_graph
from .test_gem_conv import randomise

ROOT = Path(__file__).resolve().parents[1]


def random_rotation(seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.linalg.det(q))


def test_round_trips(bunny):
    g = gauge_graph(bunny, dtype=torch.float64)
    x = torch.randn(bunny.n_vertices, 4, 5, dtype=torch.float64)
    v = to_tangent_vectors(x, g)
    assert v.shape == (bunny.n_vertices, 4, 3)
    assert (v * g.normal[:, None]).sum(-1).abs().max() < 1e-12  # tangent
    back = from_tangent_vectors(v, g)
    torch.testing.assert_close(back[..., 1:], x[..., 1:3], atol=1e-12, rtol=0)
    assert (back[..., 0] == 0).all()
    w = torch.randn(bunny.n_vertices, 3, dtype=torch.float64)
    projected = w - (w * g.normal).sum(1, keepdim=True) * g.normal
    torch.testing.assert_close(
        to_tangent_vectors(from_tangent_vectors(w, g), g), projected, atol=1e-12, rtol=0
    )
    # the length of a tangent vector is the norm of its coefficients
    torch.testing.assert_close(v.norm(dim=-1), x[..., 1:3].norm(dim=-1), atol=1e-12, rtol=0)


@pytest.mark.parametrize("name", ["bunny", "mobius"])
def test_gauge_changes_leave_the_3d_vectors_unchanged(name, request):
    mesh = request.getfixturevalue("bunny") if name == "bunny" else shapes.mobius_strip(30, 7)
    g = gauge_graph(mesh, dtype=torch.float64)
    alpha, flip = random_gauge(mesh.n_vertices, 2, flips=True)
    x = torch.randn(mesh.n_vertices, 3, 3, dtype=torch.float64)
    g2, x2 = transform_graph(g, alpha, flip), transform_features(x, alpha, flip)
    torch.testing.assert_close(
        to_tangent_vectors(x2, g2), to_tangent_vectors(x, g), atol=1e-12, rtol=0
    )
    v = torch.randn(mesh.n_vertices, 1, 3, dtype=torch.float64)
    torch.testing.assert_close(
        from_tangent_vectors(v, g2),
        transform_features(from_tangent_vectors(v, g), alpha, flip),
        atol=1e-12,
        rtol=0,
    )
    # negative control: reading the coefficients in the old frames gives other vectors
    assert (to_tangent_vectors(x2, g) - to_tangent_vectors(x, g)).abs().max() > 0.1


def test_rotating_the_mesh_rotates_the_vectors(spot):
    r = random_rotation(4)
    g = gauge_graph(spot, dtype=torch.float64)
    gr = gauge_graph(spot.rotated(r), dtype=torch.float64)
    rt = torch.as_tensor(r)
    x = torch.randn(spot.n_vertices, 2, 3, dtype=torch.float64)
    torch.testing.assert_close(
        to_tangent_vectors(x, gr), to_tangent_vectors(x, g) @ rt.T, atol=1e-10, rtol=0
    )
    v = torch.randn(spot.n_vertices, 3, dtype=torch.float64)
    torch.testing.assert_close(
        from_tangent_vectors(v @ rt.T, gr), from_tangent_vectors(v, g), atol=1e-10, rtol=0
    )
    # an equivariant layer with invariant inputs: its order-1 output turns with the mesh in 3-D
    conv = randomise(GemConv(3, 2, 1, 1)).double()
    out = to_tangent_vectors(conv(invariant_features(g), g), g)
    out_r = to_tangent_vectors(conv(invariant_features(gr), gr), gr)
    torch.testing.assert_close(out_r, out @ rt.T, atol=1e-9, rtol=0)


def test_errors():
    strip = gauge_graph(shapes.mobius_strip(20, 5, flat=True))  # intrinsic: no frames
    with pytest.raises(ValueError, match="embedded mesh"):
        to_tangent_vectors(torch.zeros(strip.num_nodes, 1, 3), strip)
    g = gauge_graph(shapes.icosphere(1))
    with pytest.raises(ValueError, match="order-1 part"):
        to_tangent_vectors(torch.zeros(g.num_nodes, 1, 1), g)
    with pytest.raises(ValueError, match="rows"):
        to_tangent_vectors(torch.zeros(3, 1, 3), g)
    with pytest.raises(ValueError, match=r"\(N, \.\.\., 3\)"):
        from_tangent_vectors(torch.zeros(g.num_nodes, 2), g)


def test_documented_example_learns_the_gradient_field():
    text = (ROOT / "docs" / "vector_fields.md").read_text()
    code = re.search(
        r"## Example: learn the surface gradient.*?```python\n(.*?)```", text, re.S
    ).group(1)
    torch.set_num_threads(1)
    namespace: dict = {}
    exec(compile(code, "docs/vector_fields.md", "exec"), namespace)
    assert namespace["error"] < 0.3
