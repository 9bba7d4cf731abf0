"""Set-up for every pytest run in the repository: unit tests and notebooks alike.

Tests never touch the network. ``CNNLIB_OFFLINE=1`` stops ``cnnlib.data`` from
trying to download a data set it cannot find on this computer: it uses the full
data where it is (``CNNLIB_DATA``, ``../shared/data``, ``data/``) and otherwise the
subsets that come with cnnlib. The notebooks' kernels inherit the setting.
"""
import os

os.environ["CNNLIB_OFFLINE"] = "1"
