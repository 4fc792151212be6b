"""Every layer commutes with every shift of the strip (pooling: every even shift), with non-scalar
inputs (all three field types) and random biases; the naive CNN layer does not (negative control)."""

import pytest
import torch
from torch import nn

from gaugeconv.mobius import (
    FieldType,
    MobiusConv,
    MobiusELU,
    MobiusMaxPool,
    NaiveMobiusConv,
    double_cover,
    global_max_pool,
    naive_pad,
    odd_elu,
    shift,
    transport_pad,
)

from .mobius_harness import equivariance_error, random_fields, randomize_, single_thread

IN, OUT = FieldType(2, 3, 2), FieldType(3, 2, 3)


pytestmark = pytest.mark.usefixtures(single_thread.__name__)


def _conv(ft_in=IN, ft_out=OUT, k=5, dtype=torch.float64, cls=MobiusConv):
    torch.manual_seed(0)
    return randomize_(cls(ft_in, ft_out, k).to(dtype))


@pytest.mark.parametrize("width,length,k", [(7, 9, 5), (6, 8, 3), (5, 4, 5), (4, 3, 7), (3, 5, 1)])
def test_conv_commutes_with_every_shift_float64(width, length, k):
    conv = _conv(k=k)
    assert conv.expand_bias().abs().sum() > 0  # biases are random, not zero
    x = random_fields(IN, width, length)
    err = equivariance_error(conv, x, IN, OUT, range(2 * length))
    assert err < 1e-9


def test_conv_commutes_with_every_shift_float32():
    conv = _conv(dtype=torch.float32)
    x = random_fields(IN, 7, 10, dtype=torch.float32)
    assert equivariance_error(conv, x, IN, OUT, range(20)) < 1e-5


@pytest.mark.parametrize(
    "ft_in,ft_out", [((1, 0, 0), (0, 4, 0)), ((0, 3, 0), (1, 0, 0)), ((0, 0, 2), (0, 0, 3))]
)
def test_conv_single_kind_pairs(ft_in, ft_out):
    ft_in, ft_out = FieldType(*ft_in), FieldType(*ft_out)
    conv = _conv(ft_in, ft_out)
    x = random_fields(ft_in, 6, 6)
    assert equivariance_error(conv, x, ft_in, ft_out, range(12)) < 1e-9


def test_naive_conv_is_not_equivariant():
    """Negative control: the same harness reports a large error for the naive-padding layer."""
    naive = _conv(cls=NaiveMobiusConv)
    x = random_fields(IN, 7, 9)
    assert equivariance_error(naive, x, IN, OUT, range(18)) > 0.1
    # even on scalars (the unconstrained kernel is not mirror symmetric) ...
    s = FieldType(2, 0, 0)
    naive_s = _conv(s, s, cls=NaiveMobiusConv)
    assert equivariance_error(naive_s, random_fields(s, 7, 9), s, s, range(18)) > 0.1
    # ... but it is a correct CNN away from the seam: shifts that keep features inside commute
    xs = torch.zeros(1, s.channels, 7, 12, dtype=torch.float64)
    xs[..., 4:7] = torch.randn(1, s.channels, 7, 3, dtype=torch.float64)
    y = naive_s(xs)
    assert torch.allclose(naive_s(shift(xs, 1, s)), shift(y, 1, s), atol=1e-12)


def test_naive_conv_accepts_channel_counts():
    conv = NaiveMobiusConv(3, 5, 3)
    assert conv(torch.randn(2, 3, 4, 6)).shape == (2, 5, 4, 6)
    assert sum(p.numel() for p in conv.parameters()) == 5 * 3 * 9 + 5


def test_transport_padding_reads_the_double_cover():
    x = random_fields(IN, 5, 4)
    cover = double_cover(x, IN)
    for pad in (0, 1, 2, 4, 6, 9):  # also kernels wider than the strip (wrapping more than once)
        idx = torch.arange(-pad, 4 + pad) % 8
        assert torch.equal(transport_pad(x, IN, pad), cover[..., idx])
    naive = naive_pad(x, 2)
    assert torch.equal(naive[..., :2], x[..., 2:].flip(2))  # flipped but not transformed


def test_nonlinearity_commutes_with_every_shift():
    act = randomize_(MobiusELU(OUT).double(), scale=1.0)
    assert act.bias_sign.abs().sum() > 0
    x = random_fields(OUT, 5, 7)
    assert equivariance_error(act, x, OUT, OUT, range(14)) < 1e-12
    # the sign-field nonlinearity is odd, and has finite gradients at 0
    v = torch.tensor([-2.0, -0.3, 0.0, 0.3, 2.0], requires_grad=True)
    out = odd_elu(v, -0.5)
    assert torch.equal(odd_elu(-v, -0.5), -out)
    out.sum().backward()
    assert torch.isfinite(v.grad).all()


@pytest.mark.parametrize("width", [6, 7])
def test_pooling_commutes_with_even_shifts(width):
    pool = MobiusMaxPool(IN).double()
    length = 10
    x = random_fields(IN, width, length)
    y = pool(x)
    assert y.shape == (2, IN.channels, (width + 1) // 2, length // 2)
    err = equivariance_error(pool, x, IN, IN, range(0, 2 * length, 2), out_shift=lambda t: t // 2)
    assert err < 1e-12
    # shift by L (the global flip) is even: the pool commutes with the gauge flip
    assert torch.equal(pool(shift(x, length, IN)), shift(y, length // 2, IN))
    # sign fields keep the entry of largest magnitude with its sign
    s = IN.slice("sign")
    block = x[:1, s, :2, :2].flatten(2)
    expected = block.gather(2, block.abs().argmax(2, keepdim=True))[..., 0]
    if width % 2 == 0:
        assert torch.equal(y[:1, s, 0, 0], expected)


def test_pooling_is_not_equivariant_to_odd_shifts_and_rejects_odd_length():
    pool = MobiusMaxPool(IN).double()
    x = random_fields(IN, 6, 10)
    y, y1 = pool(x), pool(shift(x, 1, IN))
    assert not any(torch.allclose(y1, shift(y, t, IN)) for t in range(10))
    with pytest.raises(ValueError, match="even strip length"):
        pool(random_fields(IN, 6, 7))


def test_conv_nonlin_pool_stack():
    torch.manual_seed(1)
    mid = FieldType(1, 2, 2)
    net = nn.Sequential(
        MobiusConv(IN, mid, 3), MobiusELU(mid), MobiusMaxPool(mid), MobiusConv(mid, OUT, 3)
    )
    net = randomize_(net.double())
    x = random_fields(IN, 7, 12)
    err = equivariance_error(net, x, IN, OUT, range(0, 24, 2), out_shift=lambda t: t // 2)
    assert err < 1e-9


def test_global_max_pool_is_invariant_and_needs_scalars():
    s = FieldType(3, 0, 0)
    x = random_fields(s, 5, 6)
    g = global_max_pool(x, s)
    for t in range(12):
        assert torch.equal(global_max_pool(shift(x, t, s), s), g)
    with pytest.raises(ValueError, match="scalar fields only"):
        global_max_pool(random_fields(IN, 5, 6), IN)


def test_layers_reject_wrong_layouts():
    conv = MobiusConv(IN, OUT, 3)
    with pytest.raises(ValueError, match="channels"):
        conv(torch.randn(1, IN.channels + 1, 5, 5))
    with pytest.raises(ValueError, match=r"\(B, C, W, L\)"):
        conv(torch.randn(IN.channels, 5, 5))
    with pytest.raises(ValueError, match="channels"):
        MobiusELU(IN)(torch.randn(1, 3, 5, 5))
    with pytest.raises(ValueError, match="at least one"):
        MobiusConv(FieldType(0, 0, 0), OUT, 3)


def test_layer_without_free_parameters():
    """A 1x1 scalar -> sign-flip kernel must vanish (antisymmetric on a single tap): output 0."""
    conv = MobiusConv(FieldType(2, 0, 0), FieldType(0, 3, 0), 1).double()
    assert not list(conv.parameters())
    out = conv(random_fields(FieldType(2, 0, 0), 3, 4))
    assert out.dtype == torch.float64 and torch.equal(out, torch.zeros_like(out))


def test_float32_training_step_is_finite():
    conv = MobiusConv(IN, OUT, 5)
    x = random_fields(IN, 6, 8, dtype=torch.float32)
    out = MobiusELU(OUT)(conv(x))
    out.square().mean().backward()
    assert all(torch.isfinite(p.grad).all() for p in conv.parameters())
