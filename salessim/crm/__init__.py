"""CRM exports: reading them, calibrating a scenario to them, backtesting the calibration.

`export.read_export` reads an opportunities export (CSV, Excel, Parquet) into `Deals`, with
every dropped row counted by reason; `calibrate` fits a scenario (YAML with each value's
method); `backtest` fits up to a date, simulates the months after it and scores the forecast.

    export -> Deals -> calibrate -> scenario YAML;  Deals + cut-off -> backtest -> experiment
"""
