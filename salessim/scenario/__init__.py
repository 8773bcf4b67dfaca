"""The static description of a department and its market, and how it is read from YAML.

`models` holds the frozen pydantic `Scenario` (with `distributions` and `workforce`); the rest is
loading: `yamlfile` reads a file and its `base:` chain into plain data with the position of every
key, `overrides` applies `--set key.path=value`, `crosscheck` checks that the sections agree,
`messages` words pydantic's errors, and `loader.load` ties them together, raising one
`ScenarioError` with every problem located by key path and line. Nothing here knows SimPy.

    YAML file -> yamlfile -> overrides -> models + crosscheck -> Scenario -> engine
"""
