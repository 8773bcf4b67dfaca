"""One replication of one scenario in SimPy: what happens to every lead and every person.

`simulation.Simulation` wires the parts for a `Scenario` and holds no behaviour of its own:
`inflow` (lead sources, the open pipeline, prospecting sessions, repeat orders), `queues` (stage
entry, bookings, team and personal queues, leads going cold), `workloop` (each person's SimPy
process), `outcomes` (success, next stage, won deals, credit, the lead log). They share the
state named by `wiring.Wired`. Behaviour users will vary sits behind small policies with
today's rule as the default: `routing.Router` (who gets a booked meeting or a repeat order),
`work.Productivity` (hours and success of a piece of work), `work.Prospecting` (whether and how
much a person prospects). `people` (absences, exits, hiring, ramp-up) and `customers` (repeat
purchases, churn, leaving with their owner) see the simulation through `context.Engine`;
`records` holds the runtime records (lead, stage, person, customer); `calendar` is working-time
arithmetic, `arrivals` the arrival process, `streams` the seeded random numbers. Everything is
counted in a `tally.Tally`.

    Scenario -> simulation.simulate -> Tally -> measures
"""
