"""Records and KPIs computed from a finished replication's `Tally`.

`metrics.record` turns a tally into one flat record (a dict of numbers), with the per-person
rows and the weekly/monthly series; `kpis` computes money, dependency risk and per-period KPIs.
A record is what crosses process boundaries and becomes a row of replications.parquet.

    engine Tally -> metrics.record -> experiment
"""
