"""The model zoo: published parameter counts, invariance of the gauge CNNs to every shift by a
multiple of 4 (two poolings) with non-scalar inputs, and the naive CNN as negative control."""

import pytest
import torch

from gaugeconv.mobius import (
    GAUGE_UNITS,
    PUBLISHED_PARAMS,
    ZOO,
    FieldType,
    MobiusCNN,
    MobiusGaugeCNN,
    build_model,
    count_parameters,
    shift,
)

from .mobius_harness import equivariance_error, random_fields, randomize_, single_thread

pytestmark = pytest.mark.usefixtures(single_thread.__name__)

IN = FieldType(1, 1, 1)  # non-scalar input: all three field types
W, L = 11, 16  # odd width exercises the symmetrised pooling; L divisible by 4


def test_parameter_counts_match_the_published_models():
    counts = {name: count_parameters(build_model(name)) for name in ZOO}
    assert counts == PUBLISHED_PARAMS
    assert counts["regular"] == 751_914 and counts["cnn_channels"] == 1_501_162


def test_paper_field_multiplicities():
    """Mixed: unit (1, 1, 1), i.e. (4, 4, 4) = 16 channels in the first block like every model; the
    paper's table prints (4, 4, 2), but only (4, 4, 4) has 16 channels and the published 752k
    parameters (752,038); (4, 4, 2)-style blocks would not match any published count."""
    m = build_model("mixed")
    convs = [
        layer
        for layer in m.features
        if hasattr(layer, "out_fields") and hasattr(layer, "kernel_size")
    ]
    assert [c.out_fields for c in convs] == [
        FieldType(4, 4, 4),
        FieldType(8, 8, 8),
        FieldType(16, 16, 16),
        FieldType(32, 32, 32),
        FieldType(64, 64, 64),
        FieldType(64, 0, 0),
    ]
    cnn = build_model("cnn_params")
    assert [c.out_fields.channels for c in cnn.features if hasattr(c, "kernel_size")] == [
        11,
        22,
        45,
        90,
        181,
        64,
    ]


def _model(mode, dtype=torch.float64, **kw):
    torch.manual_seed(0)
    model = build_model(mode, in_fields=IN, **kw).to(dtype).eval()
    return randomize_(model, scale=0.3)


@pytest.mark.parametrize("mode", list(GAUGE_UNITS))
def test_gauge_cnn_is_invariant_to_shifts_by_multiples_of_4(mode):
    model = _model(mode)
    x = random_fields(IN, W, L)
    shifts = range(0, 2 * L, 4)  # includes t = L, the global flip
    assert equivariance_error(model, x, IN, None, shifts) < 1e-9
    # the feature maps themselves are equivariant: shift by t/4 on the 4x smaller grid
    err = equivariance_error(
        model.features, x, IN, model.out_fields, shifts, out_shift=lambda t: t // 4
    )
    assert err < 1e-9


def test_gauge_cnn_float32():
    model = _model("mixed", dtype=torch.float32)
    x = random_fields(IN, W, L, dtype=torch.float32)
    assert equivariance_error(model, x, IN, None, range(0, 2 * L, 4)) < 1e-5


def test_naive_cnn_is_not_invariant():
    """Negative control through the same harness: a large error."""
    model = _model("cnn_channels")
    x = random_fields(IN, W, L)
    assert equivariance_error(model, x, IN, None, range(0, 2 * L, 4)) > 1e-2
    scalar = FieldType(1, 0, 0)
    torch.manual_seed(0)
    cnn = randomize_(MobiusCNN(alpha=2.0, width=1).double().eval(), scale=0.3)
    xs = random_fields(scalar, W, L)
    assert equivariance_error(cnn, xs, scalar, None, [L]) > 1e-2  # not even flip invariant


def test_odd_shifts_are_only_approximately_invariant():
    model = _model("regular")
    x = random_fields(IN, W, L)
    assert equivariance_error(model, x, IN, None, [1, 2, 3]) > 1e-9  # pooling breaks them


def test_models_validate_input():
    model = MobiusGaugeCNN("regular", width=1)
    with pytest.raises(ValueError, match="divisible by 4"):
        model(torch.randn(2, 1, 8, 10))
    with pytest.raises(ValueError, match="channels"):
        model(torch.randn(2, 3, 8, 8))
    with pytest.raises(ValueError, match="unknown"):
        build_model("resnet")
    with pytest.raises(ValueError, match="unknown gauge CNN mode"):
        MobiusGaugeCNN("vector")


def test_train_step_on_a_batch_of_digits():
    model = build_model("mixed", width=1)
    x = torch.rand(4, 1, 16, 16)
    logits = model(x)
    assert logits.shape == (4, 10)
    torch.nn.functional.cross_entropy(logits, torch.arange(4)).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    # scalar input digits: the trained-on-centred model sees a shifted digit the same way
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model(shift(x, 16, (1, 0, 0))), model(x), atol=1e-5)
