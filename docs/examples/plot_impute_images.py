"""
====================================
Imputing images with SpatialGAIN
====================================

scikit-image ships 200 small grayscale faces (25 x 25 pixels, from Labeled
Faces in the Wild). We hide 30% of the pixels of every face at random and
complete them with :class:`~skgain.SpatialGAINImputer`, which sees each face
as an image, and with imputers that see each face as a row of 625 numbers:
:class:`~skgain.GAINImputer`, :class:`~skgain.SoftImputeFISTA` and the
per-pixel mean.

Training is cut to a few epochs so that the gallery builds in seconds; the
paper's experiment on Imagenette is on the benchmark page.
"""

import matplotlib.pyplot as plt
import numpy as np
from skimage.data import lfw_subset
from sklearn.impute import SimpleImputer

from skgain import GAINImputer, SoftImputeFISTA, SpatialGAINImputer

faces = lfw_subset()  # (200, 25, 25), values in [0, 1]
rng = np.random.RandomState(0)
hidden = rng.rand(*faces.shape) < 0.3
faces_missing = np.where(hidden, np.nan, faces)
rows_missing = faces_missing.reshape(len(faces), -1)

# %%
# SpatialGAIN takes the images as a 3-D array and returns the same shape
# (for images it scales all pixels of a channel together). The other
# imputers take one row per face.

completed = {
    "SpatialGAIN": SpatialGAINImputer(max_epochs=5, random_state=0).fit_transform(faces_missing),
    "GAIN": GAINImputer(max_epochs=30, random_state=0).fit_transform(rows_missing),
    "SoftImpute-FISTA": SoftImputeFISTA(random_state=0).fit_transform(rows_missing),
    "mean": SimpleImputer().fit_transform(rows_missing),
}
completed = {name: out.reshape(faces.shape) for name, out in completed.items()}

for name, out in completed.items():
    # Pixel values are already in [0, 1], so this is the paper's scaled RMSE.
    rmse = np.sqrt(np.mean((out - faces)[hidden] ** 2))
    print(f"{name:>17}: RMSE on hidden pixels {rmse:.4f}")

# %%
# The first faces: the original, what the imputers saw (missing pixels in
# red), and each completion.

n_show = 4
columns = {"original": faces, "30% missing": faces_missing, **completed}
fig, axes = plt.subplots(n_show, len(columns), figsize=(1.6 * len(columns), 1.7 * n_show))
cmap = plt.get_cmap("gray").copy()
cmap.set_bad("red")
for col, (title, images) in enumerate(columns.items()):
    for row in range(n_show):
        ax = axes[row, col]
        ax.imshow(images[row], cmap=cmap, vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, col].set_title(title, fontsize=9)
fig.tight_layout()
plt.show()
