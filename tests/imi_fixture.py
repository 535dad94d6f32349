"""A miniature IMI release in the exact published layout, made by the tests.

``responses_main.csv`` with all 45 columns (demo, catch, failed-check and repeat
rows included), ``imagenet_exemplars_file_map.json`` nested model -> unit ->
batch -> image -> ImageNet-train path, and an ImageNet-like train folder of
JPEGs. Each unit's max and min images are noisy versions of two prototypes;
units differ in noise, and simulated humans are more often right on the clean
units, so evidence and correctness are related without the code under test
taking part in making the data.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from superposition.imi import COLUMNS

UNITS = {  # model -> layers (IMI names)
    "resnet50": ["layer1_0_conv1", "layer2_1_conv2", "layer3_4_conv1", "layer4_2_conv3"],
    "googlenet": ["inception4a__pool_proj", "inception5b__3x3"],
}
CHANNELS = [3, 17]
BATCHES = range(0, 6)  # batch 0 is the catch-trial batch in IMI
BANK = 10  # images per side per unit


def _prototype(rng) -> np.ndarray:
    """A smooth random colour pattern, 60 x 80 (non-square, to exercise the crop)."""
    coarse = rng.uniform(0, 255, (3, 4, 3))
    return np.asarray(Image.fromarray(coarse.astype(np.uint8)).resize((80, 60),
                                                                      Image.Resampling.BICUBIC),
                      dtype=float)


def write_imi_fixture(root: Path, seed: int = 0, participants: int = 12) -> dict[str, Path]:
    rng = np.random.default_rng(seed)
    train = root / "imagenet" / "train"
    file_map, noise, n = {}, {}, 0
    for model, layers in UNITS.items():
        file_map[model] = {}
        for layer in layers:
            for channel in CHANNELS:
                unit = f"{layer}/channel_{channel}"
                sigma = rng.uniform(10, 140)
                noise[(model, layer, channel)] = sigma
                bank = {}
                for side in ("max", "min"):
                    proto = _prototype(rng)
                    files = []
                    for _ in range(BANK):
                        synset = f"n{1000000 + n % 7:08d}"
                        rel = f"{synset}/{synset}_{n}.JPEG"
                        img = np.clip(proto + rng.normal(0, sigma, proto.shape), 0, 255)
                        (train / synset).mkdir(parents=True, exist_ok=True)
                        Image.fromarray(img.astype(np.uint8)).save(train / rel, quality=95)
                        files.append(rel)
                        n += 1
                    bank[side] = files
                file_map[model][unit] = {
                    f"batch_{b}": {f"{side}_{i}.png": bank[side][(i + b) % BANK]
                                   for side in ("max", "min") for i in range(10)}
                    for b in BATCHES}
    map_path = root / "image_data" / "imagenet_exemplars_file_map.json"
    map_path.parent.mkdir(parents=True)
    map_path.write_text(json.dumps(file_map))

    rows = []
    sigmas = np.array(list(noise.values()))
    for p in range(participants):
        pid = f"worker_{p}"
        failed, multi = p == 0, p == 1
        for model, layers in UNITS.items():
            task = f"{model}_natural-{p}"
            rows.append(_row(pid, task, is_demo=True))  # demo trial: no unit
            rows.append(_row(pid, task, catch_trial=True, model="catch/manual",
                             layer="manual_4c_0_4", channel=1, batch=-1, correct=True))
            for layer in layers:
                for channel in CHANNELS:
                    for batch in rng.choice(np.arange(1, 6), 2, replace=False):
                        sigma = noise[(model, layer, channel)]
                        p_correct = 0.97 - 0.45 * (sigma - sigmas.min()) / np.ptp(sigmas)
                        rows.append(_row(
                            pid, task, model=model, layer=layer, channel=channel,
                            batch=int(batch), correct=bool(rng.random() < p_correct),
                            confidence=int(rng.integers(1, 4)), passed=not failed,
                            multi=multi))
            rows.append(_row(pid, f"{model}_optimized-{p}", model=model, layer=layers[0],
                             channel=CHANNELS[0], batch=1, correct=True, mode="optimized",
                             passed=not failed))
    csv = root / "human_responses" / "responses_main.csv"
    csv.parent.mkdir(parents=True)
    pd.DataFrame(rows, columns=COLUMNS).to_csv(csv, index=False)
    return {"responses": csv, "file_map": map_path, "imagenet_root": train}


def _row(pid, task, *, is_demo=False, catch_trial=False, model=None, layer=None,
         channel=None, batch=None, correct=True, confidence=2, mode="natural", passed=True,
         multi=False) -> dict:
    """One trial in the IMI export's columns (unit columns empty on demo trials)."""
    row = dict.fromkeys(COLUMNS)
    row.update({
        "rt": 2500.0, "button_pressed": 3, "switched_queries": False,
        "confidence": confidence, "choice": "b" if correct else "a", "correct": correct,
        "min_query": "anonymized", "max_query": "anonymized", "min_references": "anonymized",
        "max_references": "anonymized", "catch_trial": catch_trial, "is_demo": is_demo,
        "trial_type": "2afc-image-confidence-response", "trial_index": 0,
        "time_elapsed": 1000, "internal_node_id": "0.0-1.0", "response_index": 0,
        "participant_id": pid, "corrected_trial_index": 0, "task_id": task,
        "task_number": int(task.rsplit("-", 1)[1]), "passed_checks": passed,
        "multi_participation": multi,
    })
    if not is_demo:
        row.update({"batch": batch, "channel": channel, "layer": layer,
                    "mode": "catch_trial" if catch_trial else mode, "model": model})
    return row
