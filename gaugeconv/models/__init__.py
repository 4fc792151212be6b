"""Reference architectures used by the experiments."""

from .chart_unet import ChartUNet
from .gem_resnet import GemClassifier, GemResNet, faust_gem_resnet
from .ico_unet import IcoUNet

__all__ = ["ChartUNet", "GemClassifier", "GemResNet", "IcoUNet", "faust_gem_resnet"]
