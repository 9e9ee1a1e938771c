"""The Gaussian process behind the KD surrogate: kernel, standardisation, fit and chunked prediction.

One scikit-learn GaussianProcessRegressor predicts all 7 gaps (shared kernel hyperparameters, targets
standardised per gap by normalize_y), on standardised inputs: Matern(nu=2.5) with one length scale plus a
WhiteKernel for the CASSCF-vs-latent noise. Measured on the 119 bundled CASSCF results (scaffold-grouped
5-fold CV, first gap): latent + class one-hot MAE 44 cm-1, latent alone 50, log-gaps 79-80, class mean
plus a GP on the residual 38 but within-class Spearman ~0.1 (the GP collapses to noise); hence this kernel.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Kernel, Matern, WhiteKernel


@dataclass(frozen=True)
class SurrogateConfig:
    """How the surrogate is built.

    Attributes:
        use_class: append the donor-class one-hot to the latent (then predict() needs the classes).
        nu: Matern smoothness (0.5, 1.5, 2.5 or inf).
        n_restarts: extra random starts of the marginal-likelihood optimiser.
        cv_folds: GroupKFold folds (fewer when there are fewer scaffold groups); 0 skips the CV.
        min_train: fewer usable CASSCF results than this refuse to fit (a GP on 3 points maps nothing).
        predict_chunk: rows per GP prediction call (bounds memory to chunk x n_train kernel entries).
        seed: the optimiser's random restarts.
    """

    use_class: bool = True
    nu: float = 2.5
    n_restarts: int = 2
    cv_folds: int = 5
    min_train: int = 8
    predict_chunk: int = 20_000
    seed: int = 0

    def key(self) -> str:
        """The part of the cache key that changes the fitted model."""
        return f"cls{int(self.use_class)}-nu{self.nu}-r{self.n_restarts}-cv{self.cv_folds}-s{self.seed}"


def make_kernel(n_features: int, config: SurrogateConfig) -> Kernel:
    """Amplitude x Matern (one length scale, started at sqrt(d): unit-variance inputs) + white noise."""
    return (ConstantKernel(1.0, (1e-3, 1e3))
            * Matern(length_scale=float(np.sqrt(n_features)), length_scale_bounds=(1e-2, 1e3), nu=config.nu)
            + WhiteKernel(0.1, (1e-6, 10.0)))


@dataclass
class FittedGP:
    """A fitted GP and the input standardisation it was fitted with."""

    gp: GaussianProcessRegressor
    x_mean: np.ndarray
    x_scale: np.ndarray
    x_train: np.ndarray = field(repr=False)     # raw (unstandardised) inputs, for kriging-believer refits
    y_train: np.ndarray = field(repr=False)

    def noise_std(self) -> np.ndarray:
        """(7,) std of the fitted white noise in cm-1: the scatter of CASSCF around any smooth latent function."""
        noise = float(self.gp.kernel_.k2.noise_level)
        return np.sqrt(noise) * np.asarray(self.gp._y_train_std, dtype=np.float64).reshape(-1)

    def predict(self, x: np.ndarray, chunk: int = 20_000,
                include_noise: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation, (n, 7) each, predicted `chunk` rows at a time.

        include_noise=True: the predictive std (expected scatter of a new CASSCF value around the mean);
        False: the std of the latent function alone (what more data can reduce; acquisition uses it).
        """
        x = np.asarray(x, dtype=np.float64)
        n_out = self.y_train.shape[1]
        mean = np.empty((len(x), n_out))
        std = np.empty((len(x), n_out))
        for start in range(0, len(x), chunk):
            xs = (x[start:start + chunk] - self.x_mean) / self.x_scale
            m, s = self.gp.predict(xs, return_std=True)
            mean[start:start + len(xs)] = m.reshape(len(xs), n_out)
            std[start:start + len(xs)] = np.asarray(s).reshape(len(xs), n_out)
        if not include_noise:
            std = np.sqrt(np.maximum(std ** 2 - self.noise_std() ** 2, 0.0))
        return mean, std

    def refit_fixed(self, x_extra: np.ndarray, y_extra: np.ndarray) -> FittedGP:
        """The same kernel (hyperparameters frozen) conditioned on extra rows: the kriging-believer step."""
        x = np.vstack([self.x_train, np.asarray(x_extra, dtype=np.float64)])
        y = np.vstack([self.y_train, np.asarray(y_extra, dtype=np.float64)])
        gp = GaussianProcessRegressor(self.gp.kernel_, normalize_y=True, optimizer=None)
        gp.fit((x - self.x_mean) / self.x_scale, y)
        return FittedGP(gp, self.x_mean, self.x_scale, x, y)


def fit_gp(x: np.ndarray, y: np.ndarray, config: SurrogateConfig) -> FittedGP:
    """Standardise inputs (constant columns kept at scale 1) and fit the GP by marginal likelihood."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x_mean = x.mean(axis=0)
    x_scale = x.std(axis=0)
    x_scale[x_scale < 1e-9] = 1.0
    gp = GaussianProcessRegressor(make_kernel(x.shape[1], config), normalize_y=True,
                                  n_restarts_optimizer=config.n_restarts, random_state=config.seed)
    with warnings.catch_warnings():
        # bounds reached (e.g. noise -> 1e-6 on a tiny set) are expected, not a user problem
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit((x - x_mean) / x_scale, y)
    return FittedGP(gp, x_mean, x_scale, x, y)
