"""The package version, in a module of its own (no imports of salessim) that any layer may read."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("salessim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
