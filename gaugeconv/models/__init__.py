"""Reference architectures used by the experiments."""

from .gem_resnet import GemResNet
from .ico_unet import IcoUNet

__all__ = ["GemResNet", "IcoUNet"]
