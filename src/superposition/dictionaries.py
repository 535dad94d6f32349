"""Sparse dictionary learning from the `overcomplete` toolbox (Fel et al.), as direction
methods: TopK, BatchTopK, JumpReLU and relaxed-archetypal TopK sparse autoencoders,
and semi- and convex NMF.

Every method fits a dictionary of K atoms, which may outnumber the units (the
overcomplete regime of superposition). The directions are the unit-norm atoms; the
responses are the codes, scaled by each atom's norm so that a response is the
activation's component along its unit direction. The library does the fitting; this
module only prepares the data and maps the result onto the (image x unit) contract.
"""

from __future__ import annotations

import numpy as np

from .methods import METHODS, DirectionSet


def _overcomplete():
    """The two subpackages of `overcomplete` 0.3.0 that the methods use, ``sae`` and
    ``optimization``, without the package's top-level ``__init__``. That one also imports
    its vision backbones (torchvision, timm) and its plotting, 3.5 s of every fitting job
    on 2 cores, and calls ``matplotlib.cm.get_cmap``, which matplotlib 3.9 removed. So the
    package is registered bare (its path, not its ``__init__``) unless something imported
    it whole already; the subpackages import only each other and torch, scikit-learn."""
    import importlib
    import importlib.util
    import sys
    import types

    if "overcomplete" not in sys.modules:
        spec = importlib.util.find_spec("overcomplete")
        package = types.ModuleType("overcomplete")
        package.__spec__, package.__file__ = spec, spec.origin
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["overcomplete"] = package
    return types.SimpleNamespace(sae=importlib.import_module("overcomplete.sae"),
                                 optimization=importlib.import_module(
                                     "overcomplete.optimization"))


class _Scaling:
    """Each unit centred on its median and all scaled by one global spread, so that the
    offset of firing rates (a baseline, a ReLU's mean) costs no atoms. Medians keep the
    sparse activity: most images sit near it, so each is a few atoms from it."""

    def __init__(self, x: np.ndarray):
        self.centre = np.median(x, axis=0)
        self.scale = float((x - self.centre).std()) or 1.0

    def __call__(self, x: np.ndarray, device: str):
        import torch

        return torch.as_tensor((x - self.centre) / self.scale, dtype=torch.float32,
                               device=device)


def _direction_set(atoms, codes, *, scaling: _Scaling, info: dict, encode) -> DirectionSet:
    """Unit-norm atoms, and codes times the atoms' norms and the data's spread (so a
    response is in the units of the activations), as numpy."""
    atoms = atoms.detach().cpu().double().numpy()
    norms = np.linalg.norm(atoms, axis=1)
    norms = np.where(norms > 0, norms, 1.0)
    scale = scaling.scale
    info = info | {"scale": scale, "centre": "per-unit median"}
    return DirectionSet(atoms / norms[:, None],
                        codes.detach().cpu().double().numpy() * norms[None] * scale,
                        info | {"dead_atoms": int((codes.abs().max(0).values <= 0).sum())},
                        lambda v: encode(v).detach().cpu().double().numpy() * norms[None] * scale)


def converged(losses: list[float], patience: int, tol: float) -> bool:
    """The stopping rule: the best epoch loss of the last ``patience`` epochs improves
    on the best before them by less than ``tol`` (relative)."""
    if len(losses) <= patience:
        return False
    return min(losses[-patience:]) > (1 - tol) * min(losses[:-patience])


def _train_sae(model, x: np.ndarray, *, scaling: _Scaling, max_epochs: int, patience: int,
               tol: float, batch_size: int, lr: float, seed: int, device: str,
               criterion=None) -> DirectionSet:
    """Train an `overcomplete` SAE with its own loop (``train_sae``) and Adam, an epoch
    at a time, until its mean training loss has converged (:func:`converged`) or
    ``max_epochs`` have run; the epochs used and the loss curve go to the info. The
    default criterion is the reconstruction error alone (TopK-style sparsity is in
    the encoder)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    sae = _overcomplete().sae
    data = scaling(x, device)
    loader = DataLoader(TensorDataset(data), batch_size=min(batch_size, len(data)),
                        shuffle=True, drop_last=len(data) > batch_size,
                        generator=torch.Generator().manual_seed(seed))
    criterion = criterion or (lambda x, x_hat, pre, codes, dictionary:
                              (x - x_hat).square().mean())
    epoch = []  # this epoch's batch losses, kept on the device until the epoch ends

    def counted(*args):
        loss = criterion(*args)
        epoch.append(loss.detach())
        return loss

    optimiser = torch.optim.Adam(model.parameters(), lr)
    losses = []
    while len(losses) < max_epochs and not converged(losses, patience, tol):
        epoch.clear()
        sae.train_sae(model, loader, counted, optimiser, nb_epochs=1, monitoring=0,
                      device=device)
        losses.append(float(torch.stack(epoch).mean()))
    model.eval()

    def encode(v):
        with torch.no_grad():
            return model.encode(scaling(v, device))[1]

    codes = encode(x)
    with torch.no_grad():
        recon = model.decode(codes)
        relative_mse = float((recon - data).square().sum() / data.square().sum())
    return _direction_set(model.get_dictionary(), codes, scaling=scaling,
                          info={"relative_mse": relative_mse, "epochs": len(losses),
                           "converged": converged(losses, patience, tol),
                           "max_epochs": max_epochs, "patience": patience, "tol": tol,
                           "loss_curve": [round(v, 6) for v in losses], "lr": lr,
                           "batch_size": batch_size}, encode=encode)


def _data_atoms(x: np.ndarray, scaling: _Scaling, *, n: int, seed: int, device: str):
    """``n`` images (distinct where the pool has as many), scaled and unit-normalised: the
    atoms' starting point (fewer dead atoms than from a random start)."""
    import torch

    rng = np.random.default_rng(seed)
    rows = rng.choice(len(x), n, replace=n > len(x))
    # numpy, which the library copies into its parameter without a warning
    return torch.nn.functional.normalize(scaling(x[rows], "cpu"), dim=1).numpy()


def _sae_method(build, **own):
    """A registered SAE method from ``build(sae_module, x, K, top_k, data_atoms, scaling,
    device, options)``; the shared options are ``top_k`` (active atoms per image; default
    K / 10 as in the library, at least 1), ``max_epochs``, ``patience`` and ``tol`` (the
    stopping rule), ``batch_size``, ``lr``; ``own`` are the options only this SAE takes,
    with their defaults (the schema's: ``method.own_defaults``)."""

    def method(x: np.ndarray, n_components: int, seed: int, top_k: int | None = None,
               max_epochs: int = 1000, patience: int = 20, tol: float = 0.01,
               batch_size: int = 64, lr: float = 3e-3, device: str = "cpu",
               **options) -> DirectionSet:
        import torch

        if unknown := sorted(set(options) - set(own)):
            raise TypeError(f"{build.__name__.strip('_')} SAE takes no options {unknown}")
        options = own | options
        torch.manual_seed(seed)
        scaling = _Scaling(x)
        init = _data_atoms(x, scaling, n=n_components, seed=seed, device=device)
        top_k = top_k or max(n_components // 10, 1)
        model, criterion = build(_overcomplete().sae, x, n_components, top_k, init,
                                 scaling, device, options | {"batch_size": batch_size})
        result = _train_sae(model, x, scaling=scaling, max_epochs=max_epochs, patience=patience,
                            tol=tol, batch_size=batch_size, lr=lr,
                            seed=seed, device=device, criterion=criterion)
        result.info.update(top_k=top_k, **options)
        return result

    method.__doc__ = build.__doc__
    method.own_defaults = own
    return method


def _topk(sae, x, k, top_k, init, scaling, device, options):
    """TopK SAE (Gao et al. 2024): the top_k largest codes per image are kept."""
    model = sae.TopKSAE(x.shape[1], k, top_k=top_k, dictionary_params={"initializer": init},
                        device=device)
    return model.untied(bias=True), None


def _batchtopk(sae, x, k, top_k, init, scaling, device, options):
    """BatchTopK SAE (Bussmann et al. 2024): top_k codes per image on average over a
    batch (the library counts them per batch); a running threshold at inference."""
    per_batch = top_k * min(options["batch_size"], len(x))
    model = sae.BatchTopKSAE(x.shape[1], k, top_k=per_batch,
                             dictionary_params={"initializer": init}, device=device)
    return model.untied(bias=True), None


def _jumprelu(sae, x, k, top_k, init, scaling, device, options):
    """JumpReLU SAE (Rajamanoharan et al. 2024): a learnt threshold per atom, trained
    with the library's reconstruction + L1 loss (penalty ``l1``)."""
    from functools import partial

    model = sae.JumpSAE(x.shape[1], k, dictionary_params={"initializer": init}, device=device)
    return model.untied(bias=True), partial(sae.mse_l1, penalty=options["l1"])


def _archetypal(sae, x, k, top_k, init, scaling, device, options):
    """Relaxed-archetypal TopK SAE (Fel et al. 2025): atoms stay near the convex hull of
    ``n_points`` images (at most the pool's), relaxed by ``delta``, which makes them
    stable across seeds."""
    n_points = min(options["n_points"], len(x))
    rows = np.random.default_rng(0).choice(len(x), n_points, replace=False)
    return sae.RATopKSAE(x.shape[1], k, points=scaling(x[rows], device), top_k=top_k,
                         delta=options["delta"], device=device), None


for _name, _method, _colour in (
        ("topk_sae", _sae_method(_topk), "#ff7f0e"),
        ("batchtopk_sae", _sae_method(_batchtopk), "#ffbb78"),
        ("jumprelu_sae", _sae_method(_jumprelu, l1=1e-3), "#e377c2"),
        ("archetypal_sae", _sae_method(_archetypal, n_points=1000, delta=1.0), "#8c564b")):
    METHODS.register(_name, gpu=True, dictionary=True, colour=_colour)(_method)


def _nmf_method(kind: str):
    def method(x: np.ndarray, n_components: int, seed: int, max_iter: int = 500,
               device: str = "cpu") -> DirectionSet:
        import torch

        torch.manual_seed(seed)
        optimization = _overcomplete().optimization
        scaling = _Scaling(x)
        data = scaling(x, device)
        model = (optimization.SemiNMF(n_components, solver="mu", device=device)
                 if kind == "semi" else
                 optimization.ConvexNMF(n_components, solver="pgd", device=device))
        _, atoms = model.fit(data, max_iter=max_iter)

        def encode(v):  # codes solved afresh from a seeded start: the same data, the same codes
            torch.manual_seed(seed)
            return model.encode(scaling(v, device), max_iter=max_iter)

        codes = encode(x)
        relative_mse = float((codes @ atoms - data).square().sum() / data.square().sum())

        return _direction_set(atoms, codes, scaling=scaling,
                              info={"relative_mse": relative_mse,
                                    "max_iter": max_iter}, encode=encode)

    method.__doc__ = (f"{kind.capitalize()} NMF (`overcomplete`): non-negative codes"
                      + (", atoms free" if kind == "semi" else
                         ", atoms convex combinations of the images") + ".")
    return method


METHODS.register("semi_nmf", gpu=True, dictionary=True, colour="#17becf")(_nmf_method("semi"))
METHODS.register("convex_nmf", gpu=True, dictionary=True, colour="#7f7f7f")(_nmf_method("convex"))
