"""The HTML report of a results folder, built from its files alone.

`page.build` reads a folder written by run, compare, sweep, stress or backtest and returns one
self-contained page; `charts` draws each plotly figure from plain frames.

    results folder -> page.read_folder -> charts -> report.html
"""
