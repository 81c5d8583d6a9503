"""The data home and the verified download of one registered file.

Every data file skgain knows is registered here with its sha256. A file is
read only after its checksum matches; a download goes through pooch, which
streams to a temporary file beside the target, checks the sha256 and moves
the file into place only when it matches (a corrupted download is removed).
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sklearn.utils._param_validation import validate_params

# Files live flat in the data home under these names, the same layout as the
# project's shared/data folder, so a data home can point straight at it.
DEFAULT_DATA_HOME = Path("~") / "skgain_data"
ENV_VAR = "SKGAIN_DATA"

# Public homes, by key. Tests replace an entry with a local server's URL.
# The GAIN authors' repository, pinned to one commit so the sha256 stays valid.
BASE_URLS = {
    "gain": (
        "https://raw.githubusercontent.com/jsyoon0823/GAIN/"
        "ed53e6d0be14a8d4ce35eff46449d4047bcb483e/data/"
    ),
}

# Seconds pooch waits for the server before giving up.
_DOWNLOAD_TIMEOUT = 60


@dataclass(frozen=True)
class DataFile:
    """One registered file: its name in the data home and how to get it.

    ``source`` is a key of :data:`BASE_URLS`, or None when the file has no
    public home and must be placed in the data home by hand; ``how_to_get``
    then says how it was built.
    """

    filename: str
    sha256: str
    size: int
    source: str | None = None
    how_to_get: str = ""

    def url(self):
        if self.source is None:
            return None
        return BASE_URLS[self.source] + self.filename


@validate_params(
    {"data_home": [str, os.PathLike, None]},
    prefer_skip_nested_validation=True,
)
def get_data_home(data_home=None):
    """Return the folder where skgain keeps its data sets.

    The folder is, in order of preference: the ``data_home`` argument, the
    ``SKGAIN_DATA`` environment variable, or ``~/skgain_data``. A leading
    ``~`` is expanded to the user's home folder. The folder is created if it
    does not exist.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. None falls back to ``SKGAIN_DATA``, then to
        ``~/skgain_data``.

    Returns
    -------
    data_home : str
        The path of the data folder.

    Examples
    --------
    >>> import os
    >>> from skgain.datasets import get_data_home
    >>> path = get_data_home()
    >>> os.path.isdir(path)
    True
    """
    if data_home is None:
        data_home = os.environ.get(ENV_VAR) or DEFAULT_DATA_HOME
    data_home = Path(data_home).expanduser()
    data_home.mkdir(parents=True, exist_ok=True)
    return str(data_home)


def sha256_of(path):
    """Hex sha256 of the file at ``path``."""
    # hashlib, not pooch: reading a local file must not need the downloader.
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _missing_message(entry, path, reason):
    where = f"Put the file {entry.filename!r} (sha256 {entry.sha256}, {entry.size} bytes) at {path}"
    lines = [reason, where + "."] if reason else [where + "."]
    if entry.url() is not None:
        lines.append(f"Its public home is {entry.url()}.")
    if entry.how_to_get:
        lines.append(entry.how_to_get)
    lines.append(
        f"The data home is the data_home argument, else ${ENV_VAR}, else {DEFAULT_DATA_HOME}."
    )
    return " ".join(lines)


def fetch_file(entry, data_home=None, download_if_missing=True):
    """Path of ``entry`` in the data home, downloading it if allowed.

    A file already there must match its sha256, else ValueError (when it can
    be downloaded, it is downloaded again instead). A missing file with no
    public home, or with ``download_if_missing=False``, raises OSError saying
    which file to put where. A failed download raises OSError; a download
    whose sha256 does not match raises ValueError and leaves nothing behind.
    """
    data_home = Path(get_data_home(data_home))
    path = data_home / entry.filename
    if path.is_file():
        digest = sha256_of(path)
        if digest == entry.sha256:
            return path
        if entry.url() is None or not download_if_missing:
            remedy = (
                "Delete it and fetch again with download_if_missing=True, or put the right file "
                "there."
                if entry.url() is not None
                else "Replace it with the right file."
            )
            raise ValueError(
                f"The file {path} has sha256 {digest}, but {entry.sha256} was expected: it is "
                f"corrupted or a different version. {remedy} "
                + _missing_message(entry, path, "")
            )
    elif entry.url() is None:
        raise OSError(
            _missing_message(entry, path, f"{entry.filename} is not in the data home {data_home}.")
        )
    elif not download_if_missing:
        raise OSError(
            _missing_message(
                entry,
                path,
                f"{entry.filename} is not in the data home {data_home} and "
                "download_if_missing=False.",
            )
        )
    return _download(entry, path)


def _download(entry, path):
    import pooch
    import requests

    url = entry.url()
    downloader = pooch.HTTPDownloader(timeout=_DOWNLOAD_TIMEOUT, progressbar=False)
    try:
        # pooch downloads to a temporary file in the same folder, checks the
        # sha256 and only then moves it to ``path``; on a mismatch the
        # temporary file is deleted and ValueError is raised.
        pooch.retrieve(
            url,
            known_hash=f"sha256:{entry.sha256}",
            fname=entry.filename,
            path=str(path.parent),
            downloader=downloader,
        )
    except ValueError as exc:
        raise ValueError(
            f"The download of {entry.filename} from {url} was rejected: its sha256 does not "
            f"match {entry.sha256}, so it was deleted. ({exc})"
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise OSError(
            _missing_message(entry, path, f"Downloading {url} failed ({exc}).")
        ) from exc
    return path
