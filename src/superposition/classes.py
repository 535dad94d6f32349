"""Class labels of labelled pools, mapped to a classifier's output indices, and top-1
accuracy: the check that a trained network's weights loaded right (wrong weights score
near chance)."""

from __future__ import annotations

import numpy as np

# CIFAR-10's classes in the dataset's index order (batches.meta), as its class folders
# are named
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")


def imagenet_wnids() -> list[str]:
    """The 1,000 ImageNet-1k wnids in class-index order (sorted, as every torchvision and
    timm classifier is trained), from the list timm ships."""
    from timm.data import ImageNetInfo

    return list(ImageNetInfo().label_names())


def vocabulary(n_outputs: int) -> tuple[str, list[str]] | None:
    """The class names of a classifier with ``n_outputs`` logits, in index order, and the
    dataset they come from; None for other widths."""
    if n_outputs == len(CIFAR10_CLASSES):
        return "cifar10", list(CIFAR10_CLASSES)
    if n_outputs == 1000:
        return "imagenet", imagenet_wnids()
    return None


def class_targets(labels, n_outputs: int) -> tuple[np.ndarray | None, str]:
    """Each label's output index for a classifier with ``n_outputs`` logits, or None and
    the reason why the labels cannot be mapped."""
    known = vocabulary(n_outputs)
    if known is None:
        return None, (f"the network has {n_outputs} outputs, neither CIFAR-10's 10 classes nor "
                      f"ImageNet's 1,000")
    dataset, names = known
    index = {name: i for i, name in enumerate(names)}
    labels = np.asarray(labels, dtype=str)
    unknown = sorted(set(labels) - set(index))
    if unknown:
        return None, (f"{len(unknown)} of the pool's labels are no {dataset} class "
                      f"(e.g. {', '.join(unknown[:3])})")
    return np.array([index[label] for label in labels]), dataset


def near_chance(top1: float, n_classes: int) -> bool:
    """Whether an accuracy is within twice chance: weights that did not load scores so."""
    return top1 < 2.0 / n_classes
