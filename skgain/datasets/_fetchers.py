"""Fetchers of the GAIN and SpatialGAIN papers' data: Spambase, Letter, Imagenette."""

import numbers
import os

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Options, StrOptions, validate_params

from . import _descr
from ._base import DataFile, fetch_file

SPAM = DataFile(
    filename="spam.csv",
    sha256="0097a29db5e48ecb268afd175d4f0b603f3cd16d000ca43328ca8ce739070938",
    size=689586,
    source="gain",
)
LETTER = DataFile(
    filename="letter.csv",
    sha256="42835dcd77d1ca6f9cd57b32062683ea836d2fac741be629a76f926396280465",
    size=672669,
    source="gain",
)
IMAGENETTE_160 = DataFile(
    filename="imagenette_tench_160.npz",
    sha256="0dbdf7e8684e57022866e39cf7fa44aa5546f6de882cfc58e2639d9f4af23869",
    size=30120871,
    how_to_get=(
        "It has no public home. It holds uint8 arrays 'train' (963, 160, 160) and 'val' "
        "(387, 160, 160) with 'train_files'/'val_files' (sorted JPEG names): every "
        "train/n01440764 and val/n01440764 JPEG of fastai's imagenette2-160.tgz "
        "(https://github.com/fastai/imagenette), converted with PIL convert('L') and "
        "center-cropped to 160x160 with left=(w-160)//2, top=(h-160)//2, saved with np.savez."
    ),
)
IMAGENETTE_320 = DataFile(
    filename="imagenette_tench_320.npz",
    sha256="b8a06c80636e0e1b1853281dd96b96738a65c3e3d104a2bd19bca56d5ad17c58",
    size=667716,
    how_to_get=(
        "It has no public home. It holds uint8 'images' (1, 320, 320) with 'files' and "
        "'source_files', and 'extra_images' (7, 320, 320) with 'extra_synsets' and "
        "'extra_source_files': ImageNet photos from GitHub EliSchwartz/imagenet-sample-images "
        "(commit bc69043e2862758a1906c6a24a792bb28c6bb2ff) of tench and 7 other Imagenette "
        "classes, converted with PIL convert('L'), resized to shortest side 320 (LANCZOS) and "
        "center-cropped to 320x320, saved with np.savez."
    ),
)

# Imagenette's ten classes: WordNet id -> name.
IMAGENETTE_CLASSES = {
    "n01440764": "tench",
    "n02102040": "English springer",
    "n02979186": "cassette player",
    "n03000684": "chain saw",
    "n03028079": "church",
    "n03394916": "French horn",
    "n03417042": "garbage truck",
    "n03425413": "gas pump",
    "n03445777": "golf ball",
    "n03888257": "parachute",
}
_TENCH = "n01440764"


def _gain_table(entry, descr, data_home, download_if_missing, return_X_y, as_frame):
    import pandas as pd

    path = fetch_file(entry, data_home, download_if_missing)
    frame = pd.read_csv(path, dtype=np.float64)
    # letter.csv spells one column "Cat 2 "; names are compared stripped.
    frame.columns = [str(name).strip() for name in frame.columns]
    feature_names = list(frame.columns)
    data = frame if as_frame else frame.to_numpy()
    if return_X_y:
        return data, None
    return Bunch(
        data=data,
        target=None,
        frame=frame if as_frame else None,
        feature_names=feature_names,
        DESCR=descr,
        filename=str(path),
    )


_TABLE_PARAMS = {
    "data_home": [str, os.PathLike, None],
    "download_if_missing": ["boolean"],
    "return_X_y": ["boolean"],
    "as_frame": ["boolean"],
}


@validate_params(_TABLE_PARAMS, prefer_skip_nested_validation=True)
def fetch_spambase(*, data_home=None, download_if_missing=True, return_X_y=False, as_frame=False):
    """Load the Spambase features used in the GAIN paper (4601 x 57).

    The file ``spam.csv`` of the GAIN authors' repository: the 57 numeric
    attributes of UCI Spambase without the spam label, no missing values.
    It is read from the data home, downloaded there if missing, and checked
    against its sha256 either way.

    =================   ==============
    Samples total       4601
    Dimensionality      57
    Features            real, 0 to 15841
    =================   ==============

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data folder; see :func:`get_data_home`. None uses ``SKGAIN_DATA``,
        then ``~/skgain_data``.
    download_if_missing : bool, default=True
        Download the file from its public home when it is not in the data
        home. If False and the file is missing, an OSError says which file to
        put where.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch. ``target`` is None: the
        file has no label column.
    as_frame : bool, default=False
        Return ``data`` as a pandas DataFrame with the file's column names.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (4601, 57) or DataFrame
            The features, float64.
        target : None
            The file has no label column.
        frame : DataFrame of shape (4601, 57) or None
            ``data`` as a DataFrame when ``as_frame=True``, else None.
        feature_names : list of str
            ``["Cont 1", ..., "Cont 57"]``.
        DESCR : str
            Description, source and licence of the data.
        filename : str
            Path of the file that was read.

    (data, target) : tuple if ``return_X_y`` is True
        ``target`` is None.

    Raises
    ------
    OSError
        The file is not in the data home and cannot be downloaded.
    ValueError
        The file in the data home, or the one downloaded, does not match its
        sha256 (a corrupted download is deleted).

    See Also
    --------
    fetch_letter : The other table of the GAIN paper.

    References
    ----------
    .. [1] M. Hopkins, E. Reeber, G. Forman and J. Suermondt, "Spambase",
       UCI Machine Learning Repository, 1999 (CC BY 4.0).
    .. [2] J. Yoon, J. Jordon and M. van der Schaar, "GAIN: Missing Data
       Imputation using Generative Adversarial Nets", ICML 2018.

    Examples
    --------
    >>> from skgain.datasets import fetch_spambase
    >>> spam = fetch_spambase()
    >>> spam.data.shape
    (4601, 57)
    >>> spam.feature_names[:2]
    ['Cont 1', 'Cont 2']
    """
    return _gain_table(SPAM, _descr.SPAMBASE, data_home, download_if_missing, return_X_y, as_frame)


@validate_params(_TABLE_PARAMS, prefer_skip_nested_validation=True)
def fetch_letter(*, data_home=None, download_if_missing=True, return_X_y=False, as_frame=False):
    """Load the Letter Recognition features used in the GAIN paper (20000 x 16).

    The file ``letter.csv`` of the GAIN authors' repository: the 16
    integer-valued attributes (0 to 15) of UCI Letter Recognition without the
    letter label, no missing values. It is read from the data home,
    downloaded there if missing, and checked against its sha256 either way.

    =================   ==============
    Samples total       20000
    Dimensionality      16
    Features            integers 0 to 15
    =================   ==============

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data folder; see :func:`get_data_home`. None uses ``SKGAIN_DATA``,
        then ``~/skgain_data``.
    download_if_missing : bool, default=True
        Download the file from its public home when it is not in the data
        home. If False and the file is missing, an OSError says which file to
        put where.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch. ``target`` is None: the
        file has no label column.
    as_frame : bool, default=False
        Return ``data`` as a pandas DataFrame with the file's column names.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (20000, 16) or DataFrame
            The features, float64 holding integers (ready for NaN).
        target : None
            The file has no label column.
        frame : DataFrame of shape (20000, 16) or None
            ``data`` as a DataFrame when ``as_frame=True``, else None.
        feature_names : list of str
            ``["Cat 1", ..., "Cat 16"]`` (the file's trailing space in
            ``"Cat 2 "`` is stripped).
        DESCR : str
            Description, source and licence of the data.
        filename : str
            Path of the file that was read.

    (data, target) : tuple if ``return_X_y`` is True
        ``target`` is None.

    Raises
    ------
    OSError
        The file is not in the data home and cannot be downloaded.
    ValueError
        The file in the data home, or the one downloaded, does not match its
        sha256 (a corrupted download is deleted).

    See Also
    --------
    fetch_spambase : The other table of the GAIN paper.

    References
    ----------
    .. [1] D. Slate, "Letter Recognition", UCI Machine Learning Repository,
       1991 (CC BY 4.0).
    .. [2] J. Yoon, J. Jordon and M. van der Schaar, "GAIN: Missing Data
       Imputation using Generative Adversarial Nets", ICML 2018.

    Examples
    --------
    >>> from skgain.datasets import fetch_letter
    >>> X, _ = fetch_letter(return_X_y=True)
    >>> X.shape
    (20000, 16)
    >>> float(X.min()), float(X.max())
    (0.0, 15.0)
    """
    return _gain_table(LETTER, _descr.LETTER, data_home, download_if_missing, return_X_y, as_frame)


def _synset(category):
    """WordNet id of an Imagenette class given by id or name (case, '_' and ' ' ignored)."""
    key = str(category).strip().lower().replace("_", " ").replace("-", " ")
    for synset, name in IMAGENETTE_CLASSES.items():
        if key in (synset, name.lower()):
            return synset
    names = ", ".join(repr(n) for n in IMAGENETTE_CLASSES.values())
    raise ValueError(
        f"category={category!r} is not an Imagenette class; use one of {names} or its "
        "WordNet id (e.g. 'n01440764')."
    )


# What the data home's files hold: size -> {WordNet id: splits available}.
# The one 320 px tench is imagenette2's train/n01440764/n01440764_96.JPEG; the
# ImageNet split of the seven other 320 px photos was not recorded.
_AVAILABLE = {
    160: {_TENCH: ("train", "val", "all")},
    320: {
        _TENCH: ("train", "all"),
        **{
            s: ("all",)
            for s in ("n02102040", "n02979186", "n03028079", "n03394916", "n03417042",
                      "n03425413", "n03888257")
        },
    },
}


def _check_request(size, synset, split):
    """ValueError for what the data home's files cannot provide (before any file access)."""
    name = IMAGENETTE_CLASSES[synset]
    available = _AVAILABLE[size]
    if synset not in available:
        have = ", ".join(repr(IMAGENETTE_CLASSES[s]) for s in available)
        raise ValueError(
            f"category={name!r} is not available at size={size}: the data home's "
            f"{size} px file holds {have} only"
            + (" (the chain saw and golf ball originals are smaller than 320 px)." if size == 320
               else ".")
        )
    if split not in available[synset]:
        splits = ", ".join(repr(s) for s in available[synset])
        raise ValueError(
            f"split={split!r} is not available for {name!r} at size={size}; use one of "
            f"{splits}."
            + (" The 320 px file holds one tench photo, from the train split." if size == 320
               and synset == _TENCH else "")
            + (" The ImageNet split of this photo was not recorded." if size == 320
               and synset != _TENCH else "")
        )


def _load_images(archive, size, synset, split):
    """(images, filenames, source_files) from an open npz archive."""
    if size == 160:
        splits = ["train", "val"] if split == "all" else [split]
        images = np.concatenate([archive[s] for s in splits])
        files = np.concatenate([archive[f"{s}_files"] for s in splits])
        return images, files, None
    if synset == _TENCH:
        return archive["images"], archive["files"], archive["source_files"]
    index = list(archive["extra_synsets"]).index(synset)
    source = archive["extra_source_files"][index:index + 1]
    return archive["extra_images"][index:index + 1], source, source


@validate_params(
    {
        "size": [Options(numbers.Integral, {160, 320})],
        "split": [StrOptions({"train", "val", "all"})],
        "category": [str],
        "color": ["boolean"],
        "data_home": [str, os.PathLike, None],
        "download_if_missing": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_imagenette(
    *,
    size=160,
    split="train",
    category="tench",
    color=False,
    data_home=None,
    download_if_missing=True,
):
    """Load Imagenette photographs in grayscale, as in the SpatialGAIN paper.

    Imagenette is a ten-class subset of ImageNet by fast.ai. The data home
    provides what the paper uses:

    - ``size=160``: the complete class tench of ``imagenette2-160``, 963
      train and 387 val images, center-cropped to 160 x 160;
    - ``size=320``: one photograph at 320 x 320 each of tench (a train
      image) and of seven other classes (split unknown: use ``split="all"``).

    All images are 8-bit grayscale. These processed arrays have no public
    home to download from: the ``.npz`` file is read from the data home and
    checked against its sha256, and when it is missing an OSError says which
    file to put where and how it was built. Anything the files cannot provide
    (another class at 160 px, colour, a split that is not there) raises a
    ValueError.

    =================   ==============================================
    Classes             tench at 160 px; 8 classes at 320 px
    Samples             160 px: 963 train + 387 val; 320 px: 1 per class
    Image size          size x size, uint8 grayscale
    =================   ==============================================

    Parameters
    ----------
    size : {160, 320}, default=160
        Side of the square images in pixels.
    split : {"train", "val", "all"}, default="train"
        Imagenette's split; ``"all"`` is train followed by val.
    category : str, default="tench"
        An Imagenette class, by name (``"tench"``, ``"French horn"``, ...,
        case and underscores ignored) or WordNet id (``"n01440764"``).
    color : bool, default=False
        Colour images. Only grayscale is available; True raises ValueError.
    data_home : str or path-like, default=None
        The data folder; see :func:`get_data_home`. None uses ``SKGAIN_DATA``,
        then ``~/skgain_data``.
    download_if_missing : bool, default=True
        Kept for the signature of the other fetchers: these files have no
        public home, so a missing file raises OSError either way.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        images : ndarray of shape (n_images, size, size), dtype uint8
            The grayscale images, 0 to 255.
        data : ndarray of shape (n_images, size * size), dtype uint8
            ``images`` flattened row by row (a view).
        feature_names : list of str
            ``"pixel_{row}_{col}"`` for each column of ``data``.
        filenames : ndarray of str
            Imagenette JPEG names aligned with the images (for the 320 px
            photos of classes other than tench, the source file names).
        source_files : ndarray of str or None
            File names in the source repository of the 320 px photos.
        category : str
            The class name; ``synset`` : str, its WordNet id.
        size, split : int, str
            As asked.
        DESCR : str
            Description, processing, source and licence of the data.
        filename : str
            Path of the file that was read.

    Raises
    ------
    OSError
        The ``.npz`` file is not in the data home.
    ValueError
        The request is not in the data (see above), or the file does not
        match its sha256.

    See Also
    --------
    fetch_spambase, fetch_letter : The tables of the GAIN paper.

    References
    ----------
    .. [1] J. Howard, "Imagenette", https://github.com/fastai/imagenette
       (Apache-2.0), 2019.
    .. [2] O. Russakovsky et al., "ImageNet Large Scale Visual Recognition
       Challenge", IJCV 115(3), 2015.

    Examples
    --------
    >>> from skgain.datasets import fetch_imagenette
    >>> tench = fetch_imagenette(size=160, split="val")
    >>> tench.images.shape, tench.images.dtype
    ((387, 160, 160), dtype('uint8'))
    >>> tench.data.shape
    (387, 25600)
    """
    size = int(size)
    synset = _synset(category)
    _check_request(size, synset, split)
    if color:
        raise ValueError(
            "color=True is not available: the data home's Imagenette files hold grayscale "
            "images only (PIL convert('L')). Use color=False."
        )
    entry = IMAGENETTE_160 if size == 160 else IMAGENETTE_320
    path = fetch_file(entry, data_home, download_if_missing)
    with np.load(path, allow_pickle=False) as archive:
        images, files, source = _load_images(archive, size, synset, split)
    rows, cols = np.indices((size, size)).reshape(2, -1)
    return Bunch(
        images=images,
        data=images.reshape(images.shape[0], -1),
        feature_names=[f"pixel_{r}_{c}" for r, c in zip(rows, cols)],
        filenames=files,
        source_files=source,
        category=IMAGENETTE_CLASSES[synset],
        synset=synset,
        size=size,
        split=split,
        DESCR=_descr.IMAGENETTE_160 if size == 160 else _descr.IMAGENETTE_320,
        filename=str(path),
    )
