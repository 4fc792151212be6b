"""Reference architectures used by experiments."""

from .ico_unet import IcoUNet

__all__ = ["IcoUNet"]
