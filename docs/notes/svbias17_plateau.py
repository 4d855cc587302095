"""svbias17: what the regazzoni patients' flat end-systole is. For each of seed 23's 25
patients (k=25): the beat's fine LV volume, the time from the end of fast ejection (volume
within 5 % of SV of its minimum) to the minimum, the volume lost in that time, and whether
the aortic valve is still open (flow > 0) there.
"""
import numpy as np

from twinviewer.personalize.synthetic import patients

t = patients("regazzoni", 25, 23)
res, model = t.results, t.results.model
print("series:", sorted(res.series)[:40])
q_name = next((n for n in ("Q_AV", "Q_AO", "Q_out_LV") if n in res.series), None)
rows = []
for i in range(res.n):
    time = np.asarray(res.time[i]) - res.time[i][0]
    v = np.asarray(res.series["V_LV"][i])
    ed = int(np.argmax(v))
    v, time = np.roll(v, -ed), (np.roll(time, -ed) - time[ed]) % (time[-1] - time[0] + 1e-12)
    period = 60.0 / res.params[i, model.index(model.heart_rate_parameter)]
    sv = v.max() - v.min()
    j0 = int(np.flatnonzero(v <= v.min() + 0.05 * sv)[0])
    j1 = int(np.argmin(v))
    q = np.roll(np.asarray(res.series[q_name][i]), -ed) if q_name else None
    open_share = float(np.mean(q[j0:j1 + 1] > 1e-6)) if q is not None and j1 > j0 else np.nan
    rows.append(((time[j1] - time[j0]) / period, v[j0] - v[j1], sv, open_share))
r = np.array(rows)
print(f"{q_name}: end of fast ejection to minimum: median {np.median(r[:, 0]):.2f} R-R "
      f"(range {r[:, 0].min():.2f}-{r[:, 0].max():.2f}); volume lost there median "
      f"{np.median(r[:, 1]):.1f} mL of SV {np.median(r[:, 2]):.0f} mL; share of that time with "
      f"aortic flow > 0: median {np.nanmedian(r[:, 3]):.2f}")
