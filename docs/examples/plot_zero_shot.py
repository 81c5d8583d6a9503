"""
=========================================
Zero-shot completion of a single image
=========================================

With one damaged photograph and nothing to train on,
:class:`~skgain.ZeroShotSpatialImputer` trains a SpatialGAIN network on
crops of the photograph itself and completes the damaged block. We compare
it with the paper's nearest-crop baseline, :func:`~skgain.nearest_patch_fill`.

The camera man of scikit-image is shrunk to 96 x 96 pixels and a 16 x 16
block is removed from the bottom-right corner (the paper uses 320 x 320
photos and a 64 x 64 block); training runs for a few epochs only.
"""

import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle
import numpy as np
from skimage import data, transform

from skgain import SpatialGAINImputer, ZeroShotSpatialImputer, nearest_patch_fill
from skgain.masks import apply_mask, block_region, region_mask

image = transform.resize(data.camera(), (96, 96), anti_aliasing=True)
region = block_region(image.shape, size=16)
block = region_mask(image.shape, region)
damaged = apply_mask(image, block)

# A small image needs a small stride to give enough crops. The network trained
# on them is a SpatialGAINImputer; here with 5 epochs (the default network
# trains 4, in batches of 8 crops).
network = SpatialGAINImputer(batch_size=8, max_epochs=5)
imputer = ZeroShotSpatialImputer(estimator=network, patch_size=24, stride=8, random_state=0)
completed = imputer.fit_transform(damaged)
baseline = nearest_patch_fill(damaged, patch_size=24)

print(f"target region(s): {imputer.regions_}")
print(f"crops: {len(imputer.kept_crops_)} considered, {imputer.kept_crops_.sum()} kept")
for name, out in [("zero-shot SpatialGAIN", completed), ("nearest crop", baseline)]:
    rmse = np.sqrt(np.mean((out - image)[block] ** 2))
    print(f"{name:>22}: RMSE in the block {rmse:.4f}")

# %%
# The crops trained on are marked on the image by their top-left corner (by
# default every crop on the grid, the damaged block's surroundings included;
# ``beta`` prunes those least like the block); the completions are shown
# around the block.

top, left, height, width = imputer.regions_[0]
zoom = (slice(max(top - 16, 0), top + height), slice(max(left - 16, 0), left + width))
fig, axes = plt.subplots(1, 4, figsize=(12, 3.4))
cmap = plt.get_cmap("gray").copy()
cmap.set_bad("red")
axes[0].imshow(damaged, cmap=cmap, vmin=0, vmax=1)
kept = imputer.crop_positions_[imputer.kept_crops_]
axes[0].scatter(kept[:, 1], kept[:, 0], s=6, c="tab:orange", label="kept crops")
axes[0].legend(loc="upper left", fontsize=7)
axes[0].set_title("damaged image")
panels = [("original", image), ("zero-shot", completed), ("nearest crop", baseline)]
for ax, (title, img) in zip(axes[1:], panels):
    ax.imshow(img[zoom], cmap="gray", vmin=0, vmax=1)
    # The block that was missing, in the zoomed coordinates.
    ax.add_patch(Rectangle((region[1] - zoom[1].start - 0.5, region[0] - zoom[0].start - 0.5),
                           region[3], region[2], fill=False, linestyle="--", color="tab:red"))
    ax.set_title(f"{title} (zoom)")
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
