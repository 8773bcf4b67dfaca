"""One replication of one scenario in SimPy: what happens to every lead and every person.

`simulation.Simulation` wires the parts for a `Scenario`: `arrivals` (when leads come),
`funnel` (leads and stages at run time), `routing` (who gets a lead or a booked meeting),
`work` (how long and how well a person works a stage), `people` (absences, exits, hiring,
ramp-up), `customers` (repeat purchases, churn, leaving with their owner), `calendar`
(working time) and `streams` (seeded random numbers). It fills a `tally.Tally` of counters.

    Scenario -> simulation.simulate -> Tally -> measures
"""
