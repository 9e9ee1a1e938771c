"""Experiment 4 (Fig. 7): 2-D PCA of the latent means, coloured by each proxy label and by the first KD gap.

The PCA (gauss_core.latent.pca) is fitted on a seeded sample of the ligand set plus every labelled and
KD-labelled ligand. How ordered the map is gets a number, not only a picture: the 5-fold cross-validated
R^2 of a k-nearest-neighbour regression of each property from the 2 PCA coordinates and from the full
32-d latent mean (1 = a smooth map, 0 = no better than the mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gauss_core import columns as C
from gauss_core.evaluate.common import EvalInputs, kd_labelled, provenance_text


@dataclass(frozen=True)
class LatentMapConfig:
    n_background: int = 20000
    seed: int = 0
    knn: int = 10

    @classmethod
    def quick(cls) -> LatentMapConfig:
        return cls(n_background=300, knn=5)


def knn_r2(x: np.ndarray, y: np.ndarray, k: int = 10, seed: int = 0) -> float:
    """5-fold CV R^2 of a kNN regression y ~ x (NaN with fewer than 10 points)."""
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.neighbors import KNeighborsRegressor

    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(y) < 10 or np.std(y) == 0:
        return float("nan")
    pred = cross_val_predict(KNeighborsRegressor(n_neighbors=min(k, len(y) // 2)), x, y,
                             cv=KFold(5, shuffle=True, random_state=seed))
    return float(1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def build_map(inputs: EvalInputs, config: LatentMapConfig):
    """(LatentMap, property table aligned with the map's rows: label columns + kd_gap1_cm1 + kd_provenance)."""
    from gauss_core.latent.pca import build_latent_map

    rng = np.random.default_rng(config.seed)
    all_smiles = inputs.ligands[C.SMILES].to_numpy()
    bg = all_smiles[rng.permutation(len(all_smiles))[:config.n_background]].tolist()
    extra: list[str] = []
    if inputs.labels is not None:
        extra += [s for s in inputs.labels.index if isinstance(s, str)]
    kd = kd_labelled(inputs.kd)
    extra += kd[C.SMILES].tolist()
    smiles = list(dict.fromkeys(bg + extra))
    lmap = build_latent_map(inputs.loaded, smiles)
    props = pd.DataFrame({C.SMILES: lmap.smiles})
    if inputs.labels is not None:
        lab = inputs.labels.reindex(props[C.SMILES])
        for name in C.PROXY_COLUMNS:
            if name != C.DONOR_Z and name in lab.columns:
                props[name] = lab[name].to_numpy(dtype=float)
    kdi = kd.drop_duplicates(C.SMILES).set_index(C.SMILES).reindex(props[C.SMILES])
    props[C.KD_GAP_COLUMNS[0]] = kdi[C.KD_GAP_COLUMNS[0]].to_numpy(dtype=float) if len(kd) else np.nan
    props[C.KD_PROVENANCE] = kdi[C.KD_PROVENANCE].to_numpy() if len(kd) else None
    return lmap, props


def map_scores(lmap, props: pd.DataFrame, config: LatentMapConfig) -> pd.DataFrame:
    """Per colouring: n coloured points, kNN R^2 from PCA(2) and from the 32-d latent."""
    rows = []
    for col in [c for c in props.columns if c not in (C.SMILES, C.KD_PROVENANCE)]:
        y = props[col].to_numpy(dtype=float)
        rows.append({"property": col, "n": int(np.isfinite(y).sum()),
                     "knn_r2_pca2": knn_r2(lmap.coords, y, config.knn, config.seed),
                     "knn_r2_latent": knn_r2(lmap.z, y, config.knn, config.seed)})
    return pd.DataFrame(rows)


def map_figure(lmap, props: pd.DataFrame, scores: pd.DataFrame, path: Path, labels_provenance: str) -> Path:
    """Fig. 7-style panels: grey = all encoded ligands; colour = the property where known."""
    from gauss_core.evaluate.common import plt, save_figure

    cols = [c for c in props.columns if c not in (C.SMILES, C.KD_PROVENANCE)]
    pyplot = plt()
    fig, axes = pyplot.subplots(1, len(cols), figsize=(4.2 * len(cols), 4), squeeze=False)
    evr = lmap.explained_variance_ratio
    sc = scores.set_index("property")
    for ax, col in zip(axes[0], cols, strict=False):
        y = props[col].to_numpy(dtype=float)
        ok = np.isfinite(y)
        ax.scatter(lmap.coords[:, 0], lmap.coords[:, 1], s=1, c="#dddddd", rasterized=True)
        if ok.any():
            lo, hi = np.nanpercentile(y[ok], [2, 98])
            im = ax.scatter(lmap.coords[ok, 0], lmap.coords[ok, 1], s=4, c=y[ok], cmap="viridis", vmin=lo, vmax=hi)
            fig.colorbar(im, ax=ax, shrink=0.8)
        src = (provenance_text(props.loc[ok, C.KD_PROVENANCE]) if col == C.KD_GAP_COLUMNS[0]
               else labels_provenance)
        ax.set_title(f"{col} (n = {int(ok.sum())})\nkNN R² PCA {sc.loc[col, 'knn_r2_pca2']:.2f}, latent "
                     f"{sc.loc[col, 'knn_r2_latent']:.2f}", fontsize=8)
        ax.set_xlabel(f"PC1 ({100 * evr[0]:.0f}%)\n[{src}]", fontsize=7)
        ax.set_ylabel(f"PC2 ({100 * evr[1]:.0f}%)")
    fig.suptitle("Latent PCA coloured by the proxies and the first KD gap (Fig. 7)", fontsize=10)
    return save_figure(fig, path, f"{len(lmap)} encoded ligands (grey); proxies: {labels_provenance}; KD: as named "
                                  "under each panel (an estimate is not CASSCF)")
