"""Missingness patterns for images (public helpers used by tests and benchmarks)."""

from ._patterns import (
    apply_mask,
    block_region,
    check_region,
    mcar_mask,
    mnar_mask,
    region_mask,
)

__all__ = [
    "apply_mask",
    "block_region",
    "check_region",
    "mcar_mask",
    "mnar_mask",
    "region_mask",
]
