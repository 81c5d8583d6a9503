"""The DESCR text of each data set: what it is, where it comes from, its licence."""

SPAMBASE = """\
.. _spambase_dataset:

Spambase (as used in the GAIN paper)
------------------------------------

**Data Set Characteristics:**

:Number of Instances: 4601
:Number of Attributes: 57 numeric, continuous (``Cont 1`` ... ``Cont 57``)
:Missing Attribute Values: None
:Range: 0 to 15841

The 57 attributes of UCI Spambase: word and character frequencies and
run lengths of capital letters in e-mails. The spam / non-spam label of the
original data set is not part of this file (GAIN imputes the features only),
so ``target`` is None.

The file is ``data/spam.csv`` of the GAIN authors' repository
(https://github.com/jsyoon0823/GAIN, commit
ed53e6d0be14a8d4ce35eff46449d4047bcb483e), byte for byte.

Licence: the UCI Machine Learning Repository lists Spambase under CC BY 4.0.
The GAIN repository has no LICENSE file.

.. rubric:: References

- M. Hopkins, E. Reeber, G. Forman and J. Suermondt, "Spambase", UCI Machine
  Learning Repository, 1999.
- J. Yoon, J. Jordon and M. van der Schaar, "GAIN: Missing Data Imputation
  using Generative Adversarial Nets", ICML 2018.
"""

LETTER = """\
.. _letter_dataset:

Letter Recognition (as used in the GAIN paper)
----------------------------------------------

**Data Set Characteristics:**

:Number of Instances: 20000
:Number of Attributes: 16 integer-valued (0 to 15), ``Cat 1`` ... ``Cat 16``
:Missing Attribute Values: None

The 16 attributes of UCI Letter Recognition: statistical moments and edge
counts of black-and-white images of capital letters in 20 fonts, each scaled
to integers 0 to 15. The letter label of the original data set is not part of
this file, so ``target`` is None. The header of the file spells the second
column ``"Cat 2 "`` (with a trailing space); ``feature_names`` strips it.

The file is ``data/letter.csv`` of the GAIN authors' repository
(https://github.com/jsyoon0823/GAIN, commit
ed53e6d0be14a8d4ce35eff46449d4047bcb483e), byte for byte.

Licence: the UCI Machine Learning Repository lists Letter Recognition under
CC BY 4.0.

.. rubric:: References

- D. Slate, "Letter Recognition", UCI Machine Learning Repository, 1991.
- P. W. Frey and D. J. Slate, "Letter Recognition Using Holland-style
  Adaptive Classifiers", Machine Learning 6(2), 1991.
"""

IMAGENETTE_160 = """\
.. _imagenette_dataset:

Imagenette 2, 160 px, grayscale
-------------------------------

**Data Set Characteristics:**

:Number of Images: tench (n01440764): 963 train + 387 val (the complete class)
:Image Size: 160 x 160 pixels, 8-bit grayscale (uint8, 0 to 255)

Imagenette is a ten-class subset of ImageNet ILSVRC-2012 by Jeremy Howard
(fast.ai). The images are the JPEGs of ``imagenette2-160`` (shortest side 160
px), converted to grayscale with PIL ``convert("L")`` (ITU-R 601-2 luma) and
center-cropped to 160 x 160 (left = (w - 160) // 2, top = (h - 160) // 2; no
resampling). ``filenames`` gives the original JPEG names, in sorted order,
aligned with the images; they match the official imagenette2 listing.

The JPEGs were taken from a committed copy of fastai's
``imagenette2-160.tgz`` (GitHub zbambergerNLP/semi_supervised_cv, commit
2ce6ad427e5e8c672e174dfb8aea0c67c801b594). The processed file has no public
home: it is read from the data home and checked against its sha256.

Licence: the fastai/imagenette repository is Apache-2.0. The photographs are
ImageNet images, subject to ImageNet's terms of access (non-commercial
research and education). Use them as test and benchmark data only.

.. rubric:: References

- J. Howard, "Imagenette", https://github.com/fastai/imagenette, 2019.
- O. Russakovsky et al., "ImageNet Large Scale Visual Recognition
  Challenge", IJCV 115(3), 2015.
"""

IMAGENETTE_320 = """\
.. _imagenette_320_dataset:

Imagenette classes at 320 px, grayscale (one photograph per class)
------------------------------------------------------------------

**Data Set Characteristics:**

:Number of Images: 1 per class: tench, English springer, cassette player,
    church, French horn, garbage truck, gas pump, parachute
:Image Size: 320 x 320 pixels, 8-bit grayscale (uint8, 0 to 255)

The tench photograph is the full-size original of imagenette2
``train/n01440764/n01440764_96.JPEG`` (so its split is ``"train"``); the
seven others are one ImageNet photograph each of another Imagenette class,
whose ImageNet split is not recorded (use ``split="all"``). Chain saw and golf
ball are absent: their originals are smaller than 320 px.

Each original ImageNet JPEG was converted to grayscale (PIL ``convert("L")``),
resized so that its shortest side is 320 px (PIL LANCZOS, the geometry of
imagenette2-320) and center-cropped to 320 x 320. These are not the pixels of
fastai's ``imagenette2-320.tgz``, which was not available; the source photos
are the same, so the pixels differ only slightly.

Source: GitHub EliSchwartz/imagenet-sample-images, commit
bc69043e2862758a1906c6a24a792bb28c6bb2ff (one ImageNet image per class). The
processed file has no public home: it is read from the data home and checked
against its sha256.

Licence: the source repository has no LICENSE file. The photographs are
ImageNet images, subject to ImageNet's terms of access (non-commercial
research and education). Use them as test and benchmark data only.

.. rubric:: References

- J. Howard, "Imagenette", https://github.com/fastai/imagenette, 2019.
- O. Russakovsky et al., "ImageNet Large Scale Visual Recognition
  Challenge", IJCV 115(3), 2015.
"""
