"""Gauge-invariant read-outs: exact invariance to gauge changes (rotations and flips) and to vertex
permutations, per-graph pooling of a PyG batch, shapes and errors, and a negative control."""

import pytest
import torch

from gaugeconv.nn import GaugeInvariants, GlobalReadout
from gaugeconv.testing import assert_gauge_equivariant

from .gauge_law import random_gauge, relative_error, transform_features
from .test_gem_conv import randomise

POOLS = ["mean", "max", "attention", ("mean", "max", "attention")]


def _batch(sizes):
    return torch.cat([torch.full((n,), b, dtype=torch.long) for b, n in enumerate(sizes)])


@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize("products", [False, True])
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-12), (torch.float32, 1e-6)])
def test_readout_invariant_to_gauge_changes_with_flips(pool, products, dtype, tol):
    readout = randomise(GlobalReadout(5, 3, pool=pool, products=products)).to(dtype)
    sizes = [40, 17, 63]
    batch = _batch(sizes)
    x = torch.randn(sum(sizes), 5, 7, dtype=dtype)
    y = readout(x, batch)
    assert y.shape == (3, readout.out_features)
    # per-graph outputs: invariant under random rotations and flips at every vertex
    err = assert_gauge_equivariant(
        lambda x: readout(x, batch), None, x, group="O2", dtype=dtype, rtol=tol, seed=3
    )
    assert err < tol
    alpha, flip = random_gauge(len(batch), 3, flips=True)  # the independent naive law agrees
    assert relative_error(readout(transform_features(x, alpha.to(dtype), flip), batch), y) < tol


@pytest.mark.parametrize("pool", POOLS)
def test_readout_invariant_to_vertex_permutations(pool):
    readout = randomise(GlobalReadout(4, 2, pool=pool, products=True)).double()
    batch = _batch([30, 50])
    x = torch.randn(80, 4, 5, dtype=torch.float64)
    perm = torch.randperm(80, generator=torch.Generator().manual_seed(1))
    assert relative_error(readout(x[perm], batch[perm]), readout(x, batch)) < 1e-13


def test_readout_pools_each_graph_separately():
    readout = GlobalReadout(2, 1, pool=("mean", "max")).double()
    x = torch.zeros(5, 2, 3, dtype=torch.float64)
    x[:, :, 0] = torch.arange(5.0)[:, None]  # scalars 0..4
    x[:, 0, 1:] = torch.tensor([3.0, 4.0])  # |v| = 5 on channel 0
    out = readout(x, torch.tensor([0, 0, 1, 1, 1]))
    # invariants per vertex: [s_0, s_1, |v_0|, |v_1|] with |v| = sqrt(|v|^2 + eps^2)
    assert torch.allclose(out[0, :4], torch.tensor([0.5, 0.5, 5.0, 1e-6], dtype=torch.float64))
    assert torch.allclose(out[1, :4], torch.tensor([3.0, 3.0, 5.0, 1e-6], dtype=torch.float64))
    assert torch.allclose(out[1, 4:6], torch.tensor([4.0, 4.0], dtype=torch.float64))


def test_attention_weights_sum_to_one_per_graph():
    readout = randomise(GlobalReadout(3, 0, pool="attention")).double()
    x = torch.ones(7, 3, 1, dtype=torch.float64) * 2.5  # constant invariants: any convex mix = 2.5
    out = readout(x, torch.tensor([0, 0, 0, 1, 1, 1, 1]))
    assert torch.allclose(out, torch.full((2, 3), 2.5, dtype=torch.float64))


def test_negative_control_reading_a_vector_component_is_not_invariant():
    x = torch.randn(100, 4, 3, dtype=torch.float64)
    alpha, _ = random_gauge(100, 5)
    naive = lambda x: x[:, :, 1].mean(0)  # noqa: E731 - the cos coordinate is gauge dependent
    assert relative_error(naive(transform_features(x, alpha)), naive(x)) > 0.1


def test_invariant_count_and_errors():
    assert GaugeInvariants(8, 2).out_features == 24
    assert GaugeInvariants(8, 2, products=True).out_features == 40
    assert GaugeInvariants(8, 0, products=True).out_features == 8
    with pytest.raises(ValueError, match="shape"):
        GaugeInvariants(8, 2)(torch.randn(3, 8, 3))
    with pytest.raises(ValueError, match="pool"):
        GlobalReadout(2, 1, pool="sum")
    with pytest.raises(ValueError, match=r"graph\(s\) \[1\]"):
        GlobalReadout(2, 1)(torch.randn(4, 2, 3), torch.tensor([0, 0, 2, 2]))
