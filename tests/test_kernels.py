"""The kernel space: complete, exactly steerable, parameter counts as documented."""

import numpy as np
import pytest
import torch

from gaugeconv.groups import O2, SO2
from gaugeconv.nn import GemConv, kernel_matrix, kernel_terms, n_kernel_params
from gaugeconv.nn.kernels import KernelTerm

THETAS = np.linspace(0, 2 * np.pi, 29, endpoint=False)


def rho(order, a):
    r = np.zeros((2 * order + 1,) * 2)
    r[0, 0] = 1
    for n in range(1, order + 1):
        c, s = np.cos(n * a), np.sin(n * a)
        r[2 * n - 1 : 2 * n + 1, 2 * n - 1 : 2 * n + 1] = [[c, -s], [s, c]]
    return r


def flip(order):
    return np.diag([1.0] + [1.0, -1.0] * order)


def block(K, n, m):
    rows = slice(0, 1) if m == 0 else slice(2 * m - 1, 2 * m + 1)
    cols = slice(0, 1) if n == 0 else slice(2 * n - 1, 2 * n + 1)
    return K[rows, cols]


def solution_dimension(n, m, group):
    """Dimension of {K: K(th + a) = rho_m(a) K(th) rho_n(-a) [, K(-th) = F K(th) F]}, numerically.

    Unknowns: K sampled at THETAS (a (dm x dn) matrix per sample); constraints for shifts by the
    grid spacing (and reflection th -> -th). The sampled solution space has the same dimension as
    the continuous one because the grid resolves all frequencies up to m + n.
    """
    dm, dn = (1 if m == 0 else 2), (1 if n == 0 else 2)
    T = len(THETAS)
    d = dm * dn
    eqs = []
    step = THETAS[1]
    for t in range(T):
        # K[t+1] - rho_m(step) K[t] rho_n(-step) = 0
        Rm = block(rho(max(m, 1), step), m, m) if m else np.eye(1)
        Rn = block(rho(max(n, 1), -step), n, n) if n else np.eye(1)
        A = np.zeros((d, T * d))
        A[:, ((t + 1) % T) * d : ((t + 1) % T + 1) * d] = np.eye(d)
        A[:, t * d : (t + 1) * d] -= np.kron(Rm, Rn.T)
        eqs.append(A)
        if group is O2:
            Fm = np.diag([1.0, -1.0]) if m else np.eye(1)
            Fn = np.diag([1.0, -1.0]) if n else np.eye(1)
            B = np.zeros((d, T * d))
            B[:, ((-t) % T) * d : ((-t) % T + 1) * d] = np.eye(d)
            B[:, t * d : (t + 1) * d] -= np.kron(Fm, Fn.T)
            eqs.append(B)
    A = np.concatenate(eqs)
    return T * d - np.linalg.matrix_rank(A)


def span_rank(n, m, group, band_limit=None):
    vecs = []
    for t in kernel_terms(n, m, group, band_limit):
        for c in [1.0, 1j] if t.complex_param else [1.0]:
            K = [block(kernel_matrix(th, {t: c}, n, m), n, m).ravel() for th in THETAS]
            vecs.append(np.concatenate(K))
    return np.linalg.matrix_rank(np.array(vecs)) if vecs else 0


@pytest.mark.parametrize("group", [SO2, O2])
@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("m", [0, 1, 2, 3])
def test_kernel_space_is_complete_and_independent(group, n, m):
    ours = sum(t.n_params for t in kernel_terms(n, m, group))
    assert ours == solution_dimension(n, m, group)
    assert span_rank(n, m, group) == ours  # the basis is independent and spans it


@pytest.mark.parametrize("group", [SO2, O2])
def test_kernels_satisfy_the_constraint(group):
    rng = np.random.default_rng(0)
    L_in, L_out = 3, 2
    coeffs = {}
    for n in range(L_in + 1):
        for m in range(L_out + 1):
            for t in kernel_terms(n, m, group):
                c = rng.normal() + (1j * rng.normal() if t.complex_param else 0)
                coeffs[t] = c
    for th, a in rng.uniform(-np.pi, np.pi, (10, 2)):
        lhs = kernel_matrix(th + a, coeffs, L_in, L_out)
        rhs = rho(L_out, a) @ kernel_matrix(th, coeffs, L_in, L_out) @ rho(L_in, -a)
        np.testing.assert_allclose(lhs, rhs, atol=1e-12)
        if group is O2:
            np.testing.assert_allclose(
                kernel_matrix(-th, coeffs, L_in, L_out),
                flip(L_out) @ kernel_matrix(th, coeffs, L_in, L_out) @ flip(L_in),
                atol=1e-12,
            )


def test_negative_control_wrong_frequency_violates_constraint():
    bad = KernelTerm(1, 1, 2, -1, False, True)  # frequency m + n on z (should act on conj z)
    th, a = 0.3, 0.7
    lhs = kernel_matrix(th + a, {bad: 1.0}, 1, 1)
    rhs = rho(1, a) @ kernel_matrix(th, {bad: 1.0}, 1, 1) @ rho(1, -a)
    assert np.abs(lhs - rhs).max() > 0.1


def test_band_limit_drops_high_frequencies():
    assert [t.k for t in kernel_terms(2, 2, SO2)] == [0, 4]
    assert [t.k for t in kernel_terms(2, 2, SO2, band_limit=2)] == [0]
    assert kernel_terms(0, 3, SO2, band_limit=2) == []
    assert span_rank(2, 1, SO2, band_limit=2) == 2


@pytest.mark.parametrize("group", ["SO2", "O2"])
@pytest.mark.parametrize("orders", [(0, 0), (0, 2), (2, 0), (2, 2), (1, 3)])
def test_parameter_count_per_channel_pair(group, orders):
    L_in, L_out = orders
    conv = GemConv(3, 5, L_in, L_out, group=group, n_rings=2, bias=False)
    n_params = sum(p.numel() for p in conv.parameters())
    assert n_params == conv.params_per_channel_pair * 3 * 5
    g = SO2 if group == "SO2" else O2
    per_ring = n_kernel_params(L_in, L_out, g)
    if group == "SO2":
        # the complete space: every real (2 L_out + 1) x (2 L_in + 1) matrix W of K = rho W rho^-1
        assert per_ring == (2 * L_in + 1) * (2 * L_out + 1)
        assert conv.params_per_channel_pair == 2 * per_ring + 1 + 2 * min(L_in, L_out)
    else:
        expected = sum(
            (1 if n == 0 or m == 0 else 2) for n in range(L_in + 1) for m in range(L_out + 1)
        )
        assert per_ring == expected
        assert conv.params_per_channel_pair == 2 * per_ring + 1 + min(L_in, L_out)


def test_gem_cnn_reference_parameter_count():
    """The reference GemConv(64, 64, 2, 2, n_rings=2) has 2*64*5*64*5 + 5*64*64 weights."""
    conv = GemConv(64, 64, 2, 2, n_rings=2, bias=False)
    assert sum(p.numel() for p in conv.parameters()) == 2 * 64 * 5 * 64 * 5 + 5 * 64 * 64
    assert torch.is_tensor(next(conv.parameters()))
