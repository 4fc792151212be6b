"""The steerable kernel basis: constraint holds exactly and the basis spans the full solution space."""

import itertools

import pytest
import torch

from gaugeconv.mobius import FieldType, MobiusConv, solution_dimension, steerable_basis
from gaugeconv.mobius.kernels import flip_operator, kind_basis, kind_rep

from .mobius_harness import single_thread

pytestmark = pytest.mark.usefixtures(single_thread.__name__)

KINDS = ("scalar", "sign", "regular")
PAIRS = list(itertools.product(KINDS, KINDS))


def _constraint_residual(kernel, rho_out, rho_in):
    """max |K(flip x) - rho_out K(x) rho_in^-1| for kernels (..., p, q, k, k)."""
    lhs = kernel.flip(-2)
    rhs = torch.einsum("op,...pqab,qi->...oiab", rho_out, kernel, torch.linalg.inv(rho_in))
    return float((lhs - rhs).abs().max().detach()) if kernel.numel() else 0.0


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("out_kind,in_kind", PAIRS)
def test_basis_solves_constraint_and_spans_solution_space(out_kind, in_kind, k):
    rho_out, rho_in = kind_rep(out_kind), kind_rep(in_kind)
    basis = kind_basis(out_kind, in_kind, k)
    d = basis.shape[0]
    assert _constraint_residual(basis, rho_out, rho_in) == 0.0
    # dimension of the solution space computed independently: n - rank(T - I) by SVD
    assert d == solution_dimension(rho_out, rho_in, k)
    flat = basis.flatten(1)
    if d:
        assert torch.linalg.matrix_rank(flat) == d  # linearly independent
        # projecting random kernels onto the solution space stays inside the basis' span
        t = flip_operator(rho_out, rho_in, k)
        rand = torch.randn(20, flat.shape[1], dtype=torch.float64)
        projected = 0.5 * (rand + rand @ t.T)
        assert torch.linalg.matrix_rank(torch.cat([flat, projected])) == d
        # entries are 0 or +-1 and supports are disjoint: every kernel entry is one parameter
        assert set(flat.unique().tolist()) <= {-1.0, 0.0, 1.0}
        assert int((flat != 0).sum(0).max()) == 1


def test_known_dimensions_for_5x5():
    dims = {pair: kind_basis(*pair, 5).shape[0] for pair in PAIRS}
    assert dims[("scalar", "scalar")] == dims[("sign", "sign")] == 15  # symmetric: 5 * 3
    assert dims[("sign", "scalar")] == dims[("scalar", "sign")] == 10  # antisymmetric: 5 * 2
    for other in ("scalar", "sign"):
        assert dims[("regular", other)] == dims[(other, "regular")] == 25
    assert dims[("regular", "regular")] == 50


def test_layer_kernel_satisfies_constraint_and_has_full_dimension():
    ft_in, ft_out, k = FieldType(2, 1, 2), FieldType(1, 2, 1), 3
    conv = MobiusConv(ft_in, ft_out, k).double()
    with torch.no_grad():
        for p in conv.parameters():
            p.normal_()
    kernel = conv.expand_kernel()
    assert kernel.shape == (ft_out.channels, ft_in.channels, k, k)
    rho_out, rho_in = ft_out.representation(), ft_in.representation()
    assert _constraint_residual(kernel, rho_out, rho_in) == 0.0
    n_weights = sum(p.numel() for n, p in conv.named_parameters() if n.startswith("weight"))
    assert n_weights == solution_dimension(rho_out, rho_in, k)
    # the bias lives in the invariant subspace: rho_out(s) beta = beta
    bias = conv.expand_bias()
    assert torch.equal(rho_out @ bias, bias)
    assert torch.equal(bias[1:3], torch.zeros(2, dtype=torch.float64))  # no bias on sign fields


def test_every_kernel_entry_is_reachable():
    """The parametrisation is onto the solution space: the Jacobian of expand_kernel has full rank."""
    conv = MobiusConv(FieldType(1, 1, 1), FieldType(1, 1, 1), 3, bias=False).double()
    params = [p for n, p in conv.named_parameters()]
    jac = []
    for p in params:
        for i in range(p.numel()):
            with torch.no_grad():
                for q in params:
                    q.zero_()
                p.view(-1)[i] = 1.0
            jac.append(conv.expand_kernel().detach().flatten())
    jac = torch.stack(jac)
    n = jac.shape[0]
    assert torch.linalg.matrix_rank(jac) == n
    full = FieldType(1, 1, 1).representation()
    assert n == solution_dimension(full, full, 3)


def test_steerable_basis_rejects_non_signed_permutations():
    with pytest.raises(ValueError, match="signed permutation"):
        steerable_basis(torch.tensor([[0.5]]), torch.eye(1), 3)
    with pytest.raises(ValueError, match="square"):
        steerable_basis(torch.ones(1, 2), torch.eye(1), 3)


@pytest.mark.parametrize("k", [0, 2, 4, -1, 3.0, True])
def test_bad_kernel_sizes_raise(k):
    with pytest.raises(ValueError, match="kernel_size"):
        MobiusConv(FieldType(1, 0, 0), FieldType(1, 0, 0), k)
