"""``python -m cnnlib.data download``: fetch MNIST and Fashion-MNIST now (needs internet)."""
import sys

from .mnist_family import download
from .store import DataNotFoundError

__all__ = ["main"]


def main(argv=None) -> None:
    """Download both data sets into the data folder, or say why not and exit with 1."""
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["download"]:
        sys.exit("usage: python -m cnnlib.data download")
    try:
        print(f"MNIST and Fashion-MNIST are in {download()}")
    except DataNotFoundError as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
