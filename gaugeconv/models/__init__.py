"""Reference architectures used by the experiments."""

from .gem_resnet import GemResNet, faust_gem_resnet
from .ico_unet import IcoUNet

__all__ = ["GemResNet", "IcoUNet", "faust_gem_resnet"]
