"""Reference architectures used by the experiments."""

from .gem_resnet import GemResNet

__all__ = ["GemResNet"]
