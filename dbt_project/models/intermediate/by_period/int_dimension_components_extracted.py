"""First principal component's share of variance per dimension (issue 18), the one audit figure SQL
cannot compute (eigenvalues). As COINr's get_PCA: complete cases only (units with a counted ratio
for every indicator of the dimension in their tier), indicators centred and scaled (eigenvalues of
the correlation matrix, Pearson); share = largest eigenvalue / number of indicators.

Rebuilt whole (all periods) on every run: a table, not incremental; the pre-hook is then a no-op.
"""

import numpy as np
import pandas as pd

KEYS = ["period", "framework_version", "tier", "dimension_code"]
COLUMNS = KEYS + ["n_indicators", "n_complete_units", "first_pc_share"]


def first_pc_share(ratios: pd.DataFrame) -> tuple[int, int, float | None]:
    """(indicators, complete units, share) of one dimension's unit x indicator ratio table."""
    complete = ratios.dropna()
    k, n = complete.shape[1], complete.shape[0]
    if k < 2 or n < 3 or (complete.std(ddof=1) == 0).any():
        return k, n, None
    eigenvalues = np.linalg.eigvalsh(np.corrcoef(complete.to_numpy(dtype=float), rowvar=False))
    return k, n, float(eigenvalues[-1] / eigenvalues.sum())


def model(dbt, session):
    dbt.config(materialized="table")
    observations = dbt.ref("int_audit_observations_gathered").df()
    rows = []
    for key, group in observations.dropna(subset=["dimension_code"]).groupby(KEYS, sort=True):
        ratios = group.pivot(index="unit_code", columns="indicator_code", values="ratio")
        rows.append((*key, *first_pc_share(ratios)))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"n_indicators": "int64", "n_complete_units": "int64", "first_pc_share": "float64"})
