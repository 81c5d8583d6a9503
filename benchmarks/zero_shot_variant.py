"""One ZeroShotSpatialImputer variant on the zero-shot benchmark's images, one seed.

The protocol of ``benchmarks/zero_shot.py`` (9 images, the 64x64 block, MCAR
then MNAR, the masks of seed 0) for ZeroShotSpatialImputer with some
parameters changed, one fit per image and pattern; each record is appended to
a JSON-lines file as soon as it is measured, so a run cut short keeps what it
measured. ``zero_shot_ablation.md`` compares the records with the defaults'
fit of the same seed in ``zero_shot.json``.

    python -m benchmarks.zero_shot_variant NAME '{"max_epochs": 4}' --out FILE.jsonl
"""

import argparse
import json
import os
import time
import warnings

import numpy as np
import torch
from skimage.restoration import inpaint_biharmonic

from skgain import ZeroShotSpatialImputer
from skgain.masks import apply_mask

from .zero_shot import load_images, make_mask, rmse


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("params", help="the changed parameters, as JSON")
    parser.add_argument("--out", required=True, help="JSON-lines file the records go to")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    params = json.loads(args.params)
    images = load_images(args.data_home)
    for pattern in ("mcar", "mnar"):
        for name, image in images.items():
            hidden = make_mask(pattern, image.shape)
            imputer = ZeroShotSpatialImputer(random_state=args.seed, **params)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                completed = imputer.fit_transform(apply_mask(image, hidden))
            record = {"variant": args.name, "params": params, "seed": args.seed,
                      "pattern": pattern, "image": name,
                      "rmse": rmse(image, completed, hidden),
                      "inpaint_biharmonic": rmse(image, inpaint_biharmonic(
                          np.nan_to_num(apply_mask(image, hidden)), hidden), hidden),
                      "used_network": bool(imputer.used_network_),
                      "fit_s": time.perf_counter() - start,
                      "torch_threads": args.threads, "load_average_1min": os.getloadavg()[0]}
            print(json.dumps(record), flush=True)
            with open(args.out, "a") as handle:
                handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
