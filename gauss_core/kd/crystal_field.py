"""Electrostatic crystal field of Dy(III) in its 6H15/2 ground multiplet from point charges.

H_CF = sum_{k=2,4,6} sum_{q=-k..k} B_k^q O_k^q   (Stevens operators, extended to q < 0 = sine type)
B_k^q = theta_k <r^k> (1 - sigma_k) A_k^q,  theta_2,4,6 = alpha_J, beta_J, gamma_J of Dy3+.

A_k^q comes from expanding the electron's energy in the field of the point charges,
V(r) = -sum_j q_j / |r - R_j|  (atomic units), in the classical counterparts f_k^q(x, y, z) of the
Stevens operators (the real polynomials with Stevens' normalisation, e.g. f_2^0 = 3z^2 - r^2,
f_2^2 = x^2 - y^2). By the addition theorem,
    A_k^q = -sum_j q_j 4 pi / (2k + 1) f_k^q(R_j / R_j) / (N_kq R_j^(k+1)),   N_kq = int f_k^q^2 dOmega.
N_kq is integrated exactly by product quadrature, so no table of tesseral prefactors is needed.

The operators O_k^q are built from irreducible tensor operators (T_k^k = J+^k, T_k^(q-1) = [J-, T_k^q])
and scaled so that the leading Jz power has Stevens' coefficient (3, 35, 231 for q = 0; e.g. O_4^2 =
1/4 {7Jz^2 - J(J+1) - 5, J+^2 + J-^2}). Tests compare them with CFcal's explicit matrices.

Radial integrals <r^k> and Sternheimer shielding sigma_k of Dy3+: Edvardsson & Klintenberg (1998).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from gauss_core.errors import GaussError

J_DY = 7.5
G_J_DY = 4.0 / 3.0                       # Lande factor of 6H15/2
STEVENS_THETA = {2: -2.0 / 315.0, 4: -8.0 / 135135.0, 6: 4.0 / 3864861.0}
R_K_A0 = {2: 0.849, 4: 1.977, 6: 10.44}  # <r^k> in a0^k, Edvardsson & Klintenberg 1998
SIGMA_K = {2: 0.527, 4: -0.0199, 6: -0.0316}
HARTREE_TO_CM1 = 219474.6313705
BOHR_PER_ANGSTROM = 1.0 / 0.529177210903
RANKS = (2, 4, 6)

# Leading coefficient of Jz^(k-q) in the Stevens polynomial P_kq (O_k^q = 1/4 {P_kq, J+^q + J-^q}).
_LEADING = {(2, 0): 3, (2, 1): 1, (2, 2): 1,
            (4, 0): 35, (4, 1): 7, (4, 2): 7, (4, 3): 1, (4, 4): 1,
            (6, 0): 231, (6, 1): 33, (6, 2): 33, (6, 3): 11, (6, 4): 11, (6, 5): 1, (6, 6): 1}


# ----------------------------------------------------------------------------- operators

def angular_momentum(j: float = J_DY) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Jz, J+, J-) in the basis |J, M>, M = -J..J ascending."""
    m = np.arange(-j, j + 1)
    jz = np.diag(m).astype(complex)
    jp = np.zeros((m.size, m.size), dtype=complex)
    for i in range(m.size - 1):
        jp[i + 1, i] = np.sqrt(j * (j + 1) - m[i] * (m[i] + 1))
    return jz, jp, jp.conj().T


@lru_cache(maxsize=8)
def _stevens_cached(k: int, q: int, j: float) -> np.ndarray:
    if abs(q) > k:
        raise GaussError(f"Stevens operator O_{k}^{q} does not exist: need |q| <= k")
    _, jp, jm = angular_momentum(j)
    t = np.linalg.matrix_power(jp, k)
    for _ in range(k - abs(q)):
        t = jm @ t - t @ jm
    aq = abs(q)
    m = np.arange(-j, j + 1)
    jpq = np.linalg.matrix_power(jp, aq)
    rows = np.arange(aq, m.size)
    cols = rows - aq
    ratio = (t[rows, cols] / jpq[rows, cols]).real  # polynomial in M of degree k - |q|
    lead = np.polyfit(m[cols], ratio, k - aq)[0]
    target = _LEADING[(k, aq)] * (1.0 if aq == 0 else 0.5)
    t = t * (target / lead)
    if q == 0:
        op = t
    elif q > 0:
        op = t + t.conj().T
    else:
        op = -1j * (t - t.conj().T)
    op = 0.5 * (op + op.conj().T)  # remove rounding asymmetry
    op.setflags(write=False)
    return op


def stevens_operator(k: int, q: int, j: float = J_DY) -> np.ndarray:
    """Extended Stevens operator O_k^q (q < 0: sine type) as a (2J+1)^2 Hermitian matrix."""
    return _stevens_cached(int(k), int(q), float(j))


# ----------------------------------------------------------------------------- classical harmonics

def _legendre_derivative(k: int, q: int) -> np.polynomial.Polynomial:
    return np.polynomial.Polynomial(np.polynomial.legendre.leg2poly([0] * k + [1])).deriv(q)


def stevens_function(k: int, q: int, unit_vectors: np.ndarray) -> np.ndarray:
    """Classical Stevens polynomial f_k^q on unit vectors (n, 3): Q_kq(z) * Re/Im (x + i y)^|q|."""
    u = np.atleast_2d(unit_vectors)
    aq = abs(q)
    poly = _legendre_derivative(k, aq)
    lead = poly.coef[-1]
    qz = _LEADING[(k, aq)] * poly(u[:, 2]) / lead
    xy = (u[:, 0] + 1j * u[:, 1]) ** aq
    return qz * (xy.real if q >= 0 else xy.imag)


@lru_cache(maxsize=64)
def stevens_norm(k: int, q: int) -> float:
    """N_kq = integral of f_k^q squared over the unit sphere (exact product quadrature)."""
    z, wz = np.polynomial.legendre.leggauss(16)
    phi = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    zz, pp = np.meshgrid(z, phi, indexing="ij")
    s = np.sqrt(1 - zz ** 2)
    u = np.stack([s * np.cos(pp), s * np.sin(pp), zz], -1).reshape(-1, 3)
    w = (wz[:, None] * np.full(phi.size, 2 * np.pi / phi.size)[None, :]).reshape(-1)
    return float((stevens_function(k, q, u) ** 2 * w).sum())


# ----------------------------------------------------------------------------- model

@dataclass(frozen=True)
class CFConfig:
    """Choices of the point-charge model.

    radial: "shielded" multiplies <r^k> by (1 - sigma_k) (Edvardsson & Klintenberg), "bare" does not.
    charge_scale: uniform scaling of the point charges (1.0 = the charges as given).
    """

    radial: str = "bare"
    charge_scale: float = 1.0

    def radial_factor(self, k: int) -> float:
        if self.radial == "bare":
            return R_K_A0[k]
        if self.radial == "shielded":
            return R_K_A0[k] * (1.0 - SIGMA_K[k])
        raise GaussError(f"unknown radial choice {self.radial!r}: use 'bare' or 'shielded'")


def point_charge_akq(positions_A: np.ndarray, charges: np.ndarray, centre_A: np.ndarray | None = None
                     ) -> dict[tuple[int, int], float]:
    """A_k^q <r^k>-free lattice sums (hartree / a0^k) for k = 2, 4, 6, all q.

    Args:
        positions_A: (n, 3) point positions, Angstrom.
        charges: (n,) charges in e (negative for ligand donors).
        centre_A: position of the 4f ion (default origin).
    """
    pos = np.asarray(positions_A, dtype=float)
    if centre_A is not None:
        pos = pos - np.asarray(centre_A, dtype=float)
    q = np.asarray(charges, dtype=float)
    r = np.linalg.norm(pos, axis=1)
    if np.any(r < 0.5):
        raise GaussError("a point charge sits on the Dy ion: leave the metal's own charge out")
    unit = pos / r[:, None]
    r_bohr = r * BOHR_PER_ANGSTROM
    akq = {}
    for k in RANKS:
        pref = 4 * np.pi / (2 * k + 1)
        for qq in range(-k, k + 1):
            f = stevens_function(k, qq, unit)
            akq[(k, qq)] = float(-(q * pref * f / (stevens_norm(k, qq) * r_bohr ** (k + 1))).sum())
    return akq


def bkq_from_point_charges(positions_A, charges, centre_A=None, config: CFConfig = CFConfig()
                           ) -> dict[tuple[int, int], float]:
    """Stevens B_k^q in cm^-1 from point charges (see module docstring)."""
    akq = point_charge_akq(positions_A, np.asarray(charges, dtype=float) * config.charge_scale, centre_A)
    return {kq: STEVENS_THETA[kq[0]] * config.radial_factor(kq[0]) * a * HARTREE_TO_CM1 for kq, a in akq.items()}


def cf_hamiltonian(bkq: dict[tuple[int, int], float], j: float = J_DY) -> np.ndarray:
    """sum B_k^q O_k^q (units of the B's)."""
    size = int(round(2 * j + 1))
    h = np.zeros((size, size), dtype=complex)
    for (k, q), b in bkq.items():
        if b != 0.0:
            h += b * stevens_operator(k, q, j)
    return h


@dataclass
class CFResult:
    """Kramers doublets of a J = 15/2 crystal-field Hamiltonian.

    energies_cm1: (8,) KD energies relative to the ground KD; gaps_cm1: (7,) = energies_cm1[1:].
    g_tensors: (8, 3) principal pseudo-spin-1/2 g values of each KD (ascending: gx <= gy <= gz).
    mj_composition: (8, 8) weight of |M_J| = 1/2 .. 15/2 in each KD (rows sum to 1).
    jz_expectation: (8,) |<Jz>| along the ground-state easy axis (the lab z axis) of each KD.
    bkq_cm1: the Stevens parameters used.
    """

    energies_cm1: np.ndarray
    gaps_cm1: np.ndarray
    g_tensors: np.ndarray
    mj_composition: np.ndarray
    jz_expectation: np.ndarray
    bkq_cm1: dict[tuple[int, int], float] = field(default_factory=dict)
    eigenvalues_cm1: np.ndarray | None = None

    @property
    def g_tensor(self) -> np.ndarray:
        return self.g_tensors[0]

    @property
    def mj_labels(self) -> list[str]:
        return [f"+-{2 * m + 1}/2" for m in range(8)]


def kd_g_values(vectors: np.ndarray, j: float = J_DY, g_j: float = G_J_DY) -> np.ndarray:
    """Principal g values of the doublet spanned by two eigenvectors (columns), Chibotaru's G = g g^T."""
    return np.sqrt(np.clip(np.linalg.eigvalsh(_g_matrix(vectors, j, g_j)), 0, None))


def main_axis(vectors: np.ndarray, j: float = J_DY, g_j: float = G_J_DY) -> np.ndarray:
    """Unit vector of the largest principal g value of a doublet (its main magnetic axis)."""
    w, v = np.linalg.eigh(_g_matrix(vectors, j, g_j))
    return v[:, -1]


def _g_matrix(vectors: np.ndarray, j: float, g_j: float) -> np.ndarray:
    jz, jp, jm = angular_momentum(j)
    ops = (0.5 * (jp + jm), -0.5j * (jp - jm), jz)
    mats = [vectors.conj().T @ op @ vectors for op in ops]
    big_g = np.zeros((3, 3))
    for a in range(3):
        for b in range(3):
            big_g[a, b] = 2 * g_j ** 2 * np.trace(mats[a] @ mats[b]).real
    return big_g


def diagonalise(bkq: dict[tuple[int, int], float], j: float = J_DY) -> CFResult:
    """Eigen-decompose the CF Hamiltonian into 8 Kramers doublets with g values and M_J content."""
    h = cf_hamiltonian(bkq, j)
    vals, vecs = np.linalg.eigh(h)
    size = vals.size
    n_kd = size // 2
    kd_e = np.array([vals[2 * i: 2 * i + 2].mean() for i in range(n_kd)])
    kd_e = kd_e - kd_e[0]
    m = np.arange(-j, j + 1)
    n_abs = int(round(j + 0.5))
    comp = np.zeros((n_kd, n_abs))
    g = np.zeros((n_kd, 3))
    jz_exp = np.zeros(n_kd)
    jz, _, _ = angular_momentum(j)
    for i in range(n_kd):
        v = vecs[:, 2 * i: 2 * i + 2]
        weights = (np.abs(v) ** 2).sum(1) / 2
        for idx, mm in enumerate(m):
            comp[i, int(abs(mm) - 0.5)] += weights[idx]
        g[i] = kd_g_values(v, j)
        jz_exp[i] = float(np.max(np.abs(np.linalg.eigvalsh(v.conj().T @ jz @ v))))
    return CFResult(energies_cm1=kd_e, gaps_cm1=kd_e[1:], g_tensors=g, mj_composition=comp,
                    jz_expectation=jz_exp, bkq_cm1=dict(bkq), eigenvalues_cm1=vals - vals[0])


def crystal_field_from_point_charges(positions_A, charges, centre_A=None, config: CFConfig = CFConfig(),
                                     easy_axis_frame: bool = True) -> CFResult:
    """Point charges -> B_k^q -> 8 KDs (energies, gaps, g values, M_J composition).

    easy_axis_frame: express M_J (and the B_k^q) with z along the ground doublet's main magnetic axis,
    so that the composition means the same thing for a bent or tilted complex; energies and g values
    do not depend on the frame.
    """
    pos = np.asarray(positions_A, dtype=float)
    if centre_A is not None:
        pos = pos - np.asarray(centre_A, dtype=float)
    res = diagonalise(bkq_from_point_charges(pos, charges, None, config))
    if not easy_axis_frame:
        return res
    h = cf_hamiltonian(res.bkq_cm1)
    _, vecs = np.linalg.eigh(h)
    axis = main_axis(vecs[:, :2])
    if abs(axis[2]) > 1 - 1e-10:
        return res
    rot = _rotation_onto_z(axis)
    return diagonalise(bkq_from_point_charges(pos @ rot.T, charges, None, config))


def _rotation_onto_z(axis: np.ndarray) -> np.ndarray:
    """Rotation matrix R with R @ axis = +z."""
    a = axis / np.linalg.norm(axis)
    if a[2] < 0:
        a = -a
    v = np.cross(a, [0.0, 0.0, 1.0])
    s, c = np.linalg.norm(v), a[2]
    if s < 1e-12:
        return np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx * ((1 - c) / s ** 2)
