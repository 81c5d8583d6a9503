"""skgain: scikit-learn compatible adversarial and low-rank imputers."""

from ._blend import BlendImputer
from ._gain import GAINImputer
from ._soft_impute import SoftImputeFISTA
from ._spatial import SpatialGAINImputer
from ._nearest_patch import nearest_patch_fill
from ._zero_shot import ZeroShotSpatialImputer

__version__ = "0.1.0.dev0"

__all__ = [
    "BlendImputer",
    "GAINImputer",
    "SoftImputeFISTA",
    "SpatialGAINImputer",
    "ZeroShotSpatialImputer",
    "nearest_patch_fill",
    "__version__",
]
