"""svbias17 figure from svbias17_runs/phase_*.npz: (left) median residual (measured − posterior
median) / measured EDV at each of the 25 frames (phase 0 = ED), per run; (middle) one
Regazzoni patient's measured LV curve and the posterior median twins (harness and
variants); (right) truth SV / posterior SV per patient, per run. Output: svbias17_residual.png.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

RUNS = [("regazzoni", "base"), ("regazzoni", "nocuff"), ("regazzoni", "cleancurve"),
        ("regazzoni", "per"), ("regazzoni", "edes"), ("regazzoni", "esstart"),
        ("own", "base"), ("own", "esstart")]
d = {r: np.load(f"docs/notes/svbias17_runs/phase_{r[0]}_{r[1]}.npz") for r in RUNS}
fig, ax = plt.subplots(1, 3, figsize=(15, 4.6))
for r in RUNS:
    x = d[r]
    ax[0].plot(np.median(x["phase"], axis=0), np.median(x["resid"], axis=0), "o-", ms=3,
               label=f"{r[0]} {r[1]}")
ax[0].axhline(0, color="k", lw=0.5)
ax[0].set(xlabel="phase (fraction of R-R, 0 = ED)",
          ylabel="(measured − posterior median) / EDV",
          title="LV curve residual by frame (median of 25 patients)")
ax[0].legend(fontsize=7)
x = d[("regazzoni", "base")]
i = 1
ax[1].plot(x["phase"][i], x["meas"][i], "ko", ms=4, label="measured (noisy, 25 frames)")
ax[1].plot(x["phase"][i], x["post"][i], "C0-", label="posterior median twin (harness)")
xp = d[("regazzoni", "per")]
ax[1].plot(xp["phase"][i], xp["post"][i], "C3--", label="… + PER landmark (variant)")
xe = d[("regazzoni", "esstart")]
ax[1].plot(xe["phase"][i], xe["post"][i], "C5-", lw=2,
           label="… ES at the start of the flat end-systole (proposal)")
ax[1].set(xlabel="phase (0 = ED)", ylabel="LV volume (mL)",
          title=f"Regazzoni patient {i}: truth SV {x['rows'][i, 0]:.0f} mL")
ax[1].legend(fontsize=7)
for j, r in enumerate(RUNS):
    q = d[r]["rows"][:, 0] / d[r]["rows"][:, 3]
    ax[2].plot(np.full(len(q), j) + np.linspace(-0.2, 0.2, len(q)), q, ".", alpha=0.6)
    ax[2].plot([j - 0.3, j + 0.3], [np.median(q)] * 2, "k-")
ax[2].axhline(1, color="k", lw=0.5)
ax[2].set_xticks(range(len(RUNS)), [f"{a}\n{b}" for a, b in RUNS], fontsize=7)
ax[2].set(ylabel="truth SV / posterior median SV", title="per patient (bar: median)")
fig.tight_layout()
fig.savefig("docs/notes/svbias17_residual.png", dpi=90)
