"""Cross-checks between sections of a scenario, on plain data.

Field validation (pydantic) checks each value; this module checks that the sections agree: every
stage's role exists, every `next` exists and leads to `won`, every stage is reachable, events name
real people. It works on raw dicts and tolerates malformed parts, so `loader` can report these
problems together with field errors in one pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("won",)
SUGGESTED_SEATS = 20  # `role[i]` offered as "did you mean" for the first seats of each role


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, list) else []


Found = list[tuple[str, str]]


@dataclass
class _Parts:
    """The sections of raw scenario data that the checks compare, each of the right shape."""

    stages: Mapping[str, Any]
    roles: Mapping[str, Any]
    leads: list[Any]
    stage_names: list[str] = field(init=False)
    nexts: dict[str, str] = field(init=False)
    prospecting: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.stage_names = [str(s) for s in self.stages]
        self.nexts = {
            str(n): st.get("next", "won")
            for n, st in self.stages.items()
            if isinstance(st, Mapping) and isinstance(st.get("next", "won"), str)
        }
        self.prospecting = {
            str(n)
            for n, st in self.stages.items()
            if isinstance(st, Mapping) and st.get("kind") == "prospecting"
        }


def cross_check(data: Mapping[str, Any]) -> Found:
    """Return (key path, message) for every inconsistency between sections of raw scenario data.

    Tolerant of malformed input: parts that are not the right shape are skipped (the field
    validation reports them).
    """
    leads = data.get("leads")
    parts = _Parts(
        _mapping(data.get("stages")),
        _mapping(data.get("roles")),
        leads if isinstance(leads, list) else [],
    )
    entries, problems = _entry_problems(parts)
    return [
        *_stage_problems(parts),
        *_role_problems(parts),
        *problems,
        *_prospecting_problems(parts),
        *_unreached(parts, entries, data),
        *(
            (f"stages.{name}.next", "this stage never leads to 'won': the chain loops " + chain)
            for name, chain in _loops(parts.stage_names, parts.nexts).items()
        ),
        *_endless_branch_loops(parts),
        *_check_people(data, parts.roles, parts.stages),
        *_window_problems(data),
        *_pipeline_problems(data, parts),
        *_survival_problems(data, parts),
        *_rule_problems(parts),
        *_branch_problems(parts),
        *_coaching_problems(parts),
        *_routing_problems(parts),
    ]


def _routing_problems(p: _Parts) -> Found:
    """A stage's routing names people or roles that work it, and sources that exist."""
    found: Found = []
    sources = {str(_mapping(src).get("source")) for src in p.leads}
    sources |= {f"prospecting.{name}" for name in p.prospecting}
    for name, stage in p.stages.items():
        routing = _mapping(_mapping(stage).get("routing"))
        roles = _as_list(_mapping(stage).get("by"))
        where = f"stages.{name}.routing"
        refs = [(f"{where}.weights.{who}", who) for who in _mapping(routing.get("weights"))]
        refs += [
            (f"{where}.backup[{i}]", who) for i, who in enumerate(_as_list(routing.get("backup")))
        ]
        for source, people in _mapping(routing.get("sources")).items():
            if source not in sources:
                found.append(
                    (
                        f"{where}.sources.{source}",
                        f"source '{source}' does not exist{_choices(source, sources)}",
                    )
                )
            refs += [
                (f"{where}.sources.{source}[{i}]", who) for i, who in enumerate(_as_list(people))
            ]
        for path, who in refs:
            if not isinstance(who, str) or who in roles:
                continue
            role = who.partition("[")[0]
            if not _is_person(who, p.roles) or (who.endswith("]") and role not in roles):
                options = {*roles, *_seat_names({r: p.roles.get(r) for r in roles if r in p.roles})}
                found.append(
                    (
                        path,
                        f"'{who}' is not a person or role working '{name}'{_choices(who, options)}",
                    )
                )
    return found


def _stage_problems(p: _Parts) -> Found:
    found: Found = []
    targets = {*p.stage_names, "won"}
    for name, stage in p.stages.items():
        if not isinstance(stage, Mapping):
            continue
        if name in OUTCOMES or name == "lost":
            found.append((f"stages.{name}", f"'{name}' is an outcome and cannot be a stage name"))
        for role in _as_list(stage.get("by")):
            if p.roles and role not in p.roles:
                found.append(
                    (f"stages.{name}.by", f"role '{role}' does not exist{_choices(role, p.roles)}")
                )
        nxt = p.nexts.get(str(name))
        if nxt is not None and nxt not in targets:
            found.append(
                (f"stages.{name}.next", f"stage '{nxt}' does not exist{_choices(nxt, targets)}")
            )
    return found


def _role_problems(p: _Parts) -> Found:
    found: Found = []
    for role_name, role in p.roles.items():
        if not isinstance(role, Mapping):
            continue
        for i, st in enumerate(_as_list(role.get("stages"))):
            where = f"roles.{role_name}.stages[{i}]"
            if st not in p.stages:
                found.append((where, f"stage '{st}' does not exist{_choices(st, p.stage_names)}"))
            elif isinstance(p.stages[st], Mapping) and role_name not in _as_list(
                p.stages[st].get("by")
            ):
                found.append(
                    (
                        where,
                        f"stage '{st}' is not worked by role '{role_name}' (see stages.{st}.by)",
                    )
                )
        people, headcount = role.get("people"), role.get("headcount")
        if isinstance(people, list) and isinstance(headcount, int) and len(people) > headcount:
            found.append(
                (
                    f"roles.{role_name}.people",
                    f"{len(people)} people listed but headcount is {headcount}",
                )
            )
    return found


def _entry_problems(p: _Parts) -> tuple[set[str], Found]:
    """The stages leads enter (each source's entry, by default the first stage), and problems."""
    entries: set[str] = set()
    found: Found = []
    for i, src in enumerate(p.leads):
        if not isinstance(src, Mapping):
            continue
        entry = src.get("entry_stage")
        if entry is None and p.stage_names:
            entry = p.stage_names[0]
        if isinstance(entry, str):
            if entry not in p.stages:
                found.append(
                    (
                        f"leads[{i}].entry_stage",
                        f"stage '{entry}' does not exist{_choices(entry, p.stage_names)}",
                    )
                )
            entries.add(entry)
    return entries, found


def _prospecting_problems(p: _Parts) -> Found:
    found: Found = []
    first = p.stage_names[0] if p.stage_names else None
    for i, src in enumerate(p.leads):
        if not isinstance(src, Mapping):
            continue
        if src.get("entry_stage") in p.prospecting:
            found.append(
                (f"leads[{i}].entry_stage", "a lead source cannot enter a prospecting stage")
            )
        elif src.get("entry_stage") is None and first in p.prospecting:
            found.append((f"leads[{i}]", (
                f"this source has no entry_stage, so its leads would enter the first stage, "
                f"'{first}', a prospecting stage, and wait there for ever: give it an "
                "entry_stage that is a work stage, or list a work stage first"
            )))  # fmt: skip
    for name, nxt in p.nexts.items():
        if nxt in p.prospecting:
            found.append(
                (f"stages.{name}.next", f"'{nxt}' is a prospecting stage; leads cannot enter it")
            )
    return found


UNREACHED = (
    "no lead ever reaches this stage: no lead source enters it and no reachable stage has it "
    "as `next`"
)


def _unreached(p: _Parts, entries: set[str], data: Mapping[str, Any]) -> Found:
    """Stages no lead can reach from an entry, a prospecting stage or the repeat stage."""
    if not (p.leads or p.prospecting):
        return []
    starts = entries | p.prospecting
    repeat_stage = _mapping(data.get("customers")).get("repeat_stage")
    if isinstance(repeat_stage, str):
        starts.add(repeat_stage)
    reached = _reachable(p, starts)
    return [(f"stages.{name}", UNREACHED) for name in p.stage_names if name not in reached]


def _reachable(p: _Parts, starts: set[str]) -> set[str]:
    reached: set[str] = set()
    frontier = [e for e in starts if e in p.stages]
    while frontier:
        st = frontier.pop()
        if st not in reached:
            reached.add(st)
            if p.nexts.get(st) in p.stages:
                frontier.append(p.nexts[st])
            branches = _mapping(p.stages[st]).get("branches")
            for branch in branches if isinstance(branches, list) else []:
                if str(_mapping(branch).get("stage")) in p.stages:
                    frontier.append(str(_mapping(branch)["stage"]))
    return reached


def _window_problems(data: Mapping[str, Any]) -> Found:
    warmup, horizon = data.get("warmup_days", 0), data.get("horizon_days")
    if isinstance(warmup, int | float) and isinstance(horizon, int | float) and warmup >= horizon:
        return [("warmup_days", f"must be less than horizon_days ({horizon}), got {warmup}")]
    return []


def _pipeline_problems(data: Mapping[str, Any], p: _Parts) -> Found:
    found: Found = []
    sources = [str(src.get("source")) for src in p.leads if isinstance(src, Mapping)]
    pipeline = data.get("pipeline")
    for i, deal in enumerate(pipeline if isinstance(pipeline, list) else []):
        if not isinstance(deal, Mapping):
            continue
        if "stage" in deal and str(deal["stage"]) not in p.stages:
            found.append(
                (
                    f"pipeline[{i}].stage",
                    f"no stage '{deal['stage']}'{_choices(deal['stage'], p.stage_names)}",
                )
            )
        if deal.get("source") is not None and str(deal["source"]) not in sources:
            found.append(
                (
                    f"pipeline[{i}].source",
                    f"no lead source '{deal['source']}'; sources are: {', '.join(sources)}",
                )
            )
        in_stage, age = deal.get("in_stage_days"), deal.get("age_days", 0.0)
        numbers = isinstance(in_stage, (int, float)) and isinstance(age, (int, float))
        if numbers and in_stage > age:
            found.append((f"pipeline[{i}].in_stage_days",
                          f"cannot exceed its age_days ({age})"))  # fmt: skip
        if deal.get("created") is not None:  # a fitting date became age_days (scenario.py)
            found.append(
                (
                    f"pipeline[{i}].created",
                    "give either created (a date on or before calendar.start) or age_days, not both"
                    if "age_days" in deal
                    else f"must be on or before calendar.start, got {deal['created']}",
                )
            )
    return found


def _coaching_problems(p: _Parts) -> Found:
    found: Found = []
    for name, spec in p.roles.items():
        coached = _mapping(_mapping(spec).get("coaching")).get("roles")
        for i, role in enumerate(coached if isinstance(coached, list) else []):
            if str(role) not in p.roles:
                hint = _choices(role, [str(r) for r in p.roles])
                found.append((f"roles.{name}.coaching.roles[{i}]", f"no role '{role}'{hint}"))
            elif str(role) == str(name):
                found.append((f"roles.{name}.coaching.roles[{i}]",
                              "a role coaches other roles, not itself"))  # fmt: skip
    return found


def _branch_problems(p: _Parts) -> Found:
    found: Found = []
    sources = [str(src.get("source")) for src in p.leads if isinstance(src, Mapping)]
    sources += [f"prospecting.{n}" for n in p.prospecting] + ["referrals"]
    for name, spec in p.stages.items():
        branches = _mapping(spec).get("branches")
        for i, branch in enumerate(branches if isinstance(branches, list) else []):
            branch = _mapping(branch)
            target = branch.get("stage")
            where = f"stages.{name}.branches[{i}]"
            if target is not None and target != "won" and str(target) not in p.stages:
                hint = _choices(target, [*p.stage_names, "won"])
                found.append((f"{where}.stage", f"stage '{target}' does not exist{hint}"))
            elif str(target) in p.prospecting:
                text = f"'{target}' is a prospecting stage; leads cannot enter it"
                found.append((f"{where}.stage", text))
            if branch.get("source") is not None and str(branch["source"]) not in sources:
                found.append((f"{where}.source", f"no lead source '{branch['source']}'; "
                              f"sources are: {', '.join(sources)}"))  # fmt: skip
    return found


def _rule_problems(p: _Parts) -> Found:
    found: Found = []
    for name, spec in p.stages.items():
        rule = _mapping(_mapping(spec).get("prospect_while"))
        if "stage" in rule and str(rule["stage"]) not in p.stages:
            hint = _choices(rule["stage"], p.stage_names)
            found.append((f"stages.{name}.prospect_while.stage",
                          f"no stage '{rule['stage']}'{hint}"))  # fmt: skip
        if rule and _mapping(spec).get("kind") != "prospecting":
            found.append((f"stages.{name}.prospect_while",
                          "only a prospecting stage (kind: prospecting) has a rule for when to "
                          "prospect"))  # fmt: skip
    return found


def _survival_problems(data: Mapping[str, Any], p: _Parts) -> Found:
    by_stage = _mapping(_mapping(data.get("pipeline_survival")).get("by_stage"))
    return [
        (f"pipeline_survival.by_stage.{name}", f"no stage '{name}'{_choices(name, p.stage_names)}")
        for name in by_stage
        if str(name) not in p.stages
    ]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _seat_names(roles: Mapping[str, Any], first: int = SUGGESTED_SEATS) -> set[str]:
    """Valid person references to suggest: `role[i]` for the first seats, and people's names."""
    names: set[str] = set()
    for role, spec in roles.items():
        spec = _mapping(spec)
        headcount = spec.get("headcount")
        if isinstance(headcount, int):
            names |= {f"{role}[{i}]" for i in range(min(headcount, first))}
        people = spec.get("people")
        for person in people if isinstance(people, list) else []:
            if isinstance(person, Mapping) and isinstance(person.get("name"), str):
                names.add(person["name"])
    return names


def _is_person(who: str, roles: Mapping[str, Any]) -> bool:
    """`who` is `role[i]` with i below the role's headcount, or the name of a person."""
    role, _, index = who.removesuffix("]").partition("[")
    headcount = _mapping(roles.get(role)).get("headcount")
    if who.endswith("]") and index.isdigit() and isinstance(headcount, int):
        return int(index) < headcount
    return who in _seat_names(roles, first=0)


def _check_people(
    data: Mapping[str, Any], roles: Mapping[str, Any], stages: Mapping[str, Any]
) -> Found:
    """Events name real people or roles; customers and shares name real roles and stages."""
    return [
        *_event_problems(data, roles),
        *_check_role_workforce(data, roles),
        *_customer_problems(_mapping(data.get("customers")), roles, stages),
        *_share_problems(roles, stages),
    ]


def _event_problems(data: Mapping[str, Any], roles: Mapping[str, Any]) -> Found:
    events = data.get("events")
    return [problem for i, ev in enumerate(events if isinstance(events, list) else [])
            for problem in _event_problem(i, _mapping(ev), roles)]  # fmt: skip


def _event_problem(i: int, ev: Mapping[str, Any], roles: Mapping[str, Any]) -> Found:
    who, action = ev.get("person"), ev.get("action")
    if not isinstance(who, str):
        return []
    found: Found = []
    if action == "hire" and who not in roles:
        found.append((f"events[{i}].person", f"role '{who}' does not exist{_choices(who, roles)}"))
    elif action != "hire" and not _is_person(who, roles):
        hint = _choices(who, _seat_names(roles))
        found.append((f"events[{i}].person", f"no person '{who}' (use role[i] with i below the "
                      f"headcount, or a name from people){hint}"))  # fmt: skip
    if action == "absent" and not ev.get("days"):
        found.append((f"events[{i}].days", "an `absent` event needs `days` > 0"))
    return found


PROSPECTING_REPEAT = (
    "'{}' is a prospecting stage; a repeat purchase needs a stage that works on it (e.g. support)"
)


def _customer_problems(
    customers: Mapping[str, Any], roles: Mapping[str, Any], stages: Mapping[str, Any]
) -> Found:
    found: Found = []
    owner = customers.get("owner_role")
    if isinstance(owner, str) and owner not in roles:
        found.append(("customers.owner_role", f"role '{owner}' does not exist"
                      f"{_choices(owner, roles)}"))  # fmt: skip
    opening = customers.get("opening")
    for i, group in enumerate(opening if isinstance(opening, list) else []):
        who = _mapping(group).get("owner")
        if isinstance(who, str) and who not in roles and not _is_person(who, roles):
            hint = _choices(who, [*roles, *_seat_names(roles)])
            found.append((f"customers.opening[{i}].owner", f"no role or person '{who}' (a "
                          f"role, role[i] or a name from people){hint}"))  # fmt: skip
    stage = customers.get("repeat_stage")
    if isinstance(stage, str) and _mapping(stages.get(stage)).get("kind") == "prospecting":
        found.append(("customers.repeat_stage", PROSPECTING_REPEAT.format(stage)))
    if isinstance(stage, str) and stage not in stages:
        found.append(("customers.repeat_stage", f"stage '{stage}' does not exist"
                      f"{_choices(stage, stages)}"))  # fmt: skip
    if customers.get("churn_per_lost_order") and stage is None:
        found.append(("customers.churn_per_lost_order", "acts on repeat orders lost waiting for "
                      "customers.repeat_stage, and none is set: set repeat_stage or remove "
                      "churn_per_lost_order"))  # fmt: skip
    return found


def _share_problems(roles: Mapping[str, Any], stages: Mapping[str, Any]) -> Found:
    def named(spec: Any) -> list[str]:
        switch = _mapping(_mapping(spec).get("switch_hours"))
        return [
            *(f"max_share.{st}" for st in _mapping(_mapping(spec).get("max_share"))),
            *(f"switch_hours.{st}" for st in switch),
            *(f"switch_hours.{a}.{b}" for a, to in switch.items() for b in _mapping(to)),
        ]

    return [
        (f"roles.{role}.{path}", f"'{st}' is not a stage worked by role '{role}'")
        for role, spec in roles.items()
        for path in named(spec)
        if (st := path.rsplit(".", 1)[1]) not in stages
        or role not in _as_list(_mapping(stages[st]).get("by"))
    ]


def _check_role_workforce(
    data: Mapping[str, Any], roles: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """A role's `workforce:` merged into the scenario's must still be valid."""
    from pydantic import ValidationError

    from salessim.scenario.workforce import Workforce, deep_merge

    problems: list[tuple[str, str]] = []
    base = data.get("workforce") or {}
    for role, spec in roles.items():
        override = _mapping(spec).get("workforce")
        if not isinstance(override, Mapping) or not isinstance(base, Mapping):
            continue
        try:
            Workforce.model_validate(deep_merge(dict(base), dict(override)))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            problems.append(
                (
                    f"roles.{role}.workforce",
                    f"combined with the scenario's workforce, {where}: "
                    + first["msg"].removeprefix("Value error, "),
                )
            )
    return problems


MAX_SUGGESTION_NAMES = 200
"""Above this many names, no fuzzy "did you mean" (its cost grows with the names) and no list."""


def _choices(word: str, options: Any) -> str:
    names = [str(o) for o in options]
    if len(names) > MAX_SUGGESTION_NAMES:
        return f"; there are {len(names)} to choose from"
    close = difflib.get_close_matches(str(word), names, n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; choose one of: {', '.join(sorted(names))}" if names else ""


SHOWN_CHAIN = 8
"""A loop message shows at most this many stage names (the first and the last ones)."""


def _endless_branch_loops(p: _Parts) -> Found:
    """Stages from which every lead is sent round a loop of branches for ever: each stage on
    the way succeeds for sure (success 1, no no-shows, no patience) and its first branch that
    could apply takes every lead (share 1, no condition on value or source)."""
    certain: dict[str, str] = {}  # stage -> where every lead that passes it goes
    by_branch: set[str] = set()
    for name, raw in p.stages.items():
        st = _mapping(raw)
        sure = st.get("success") == 1 and not st.get("no_show") and not st.get("patience_hours")
        if not sure or st.get("kind", "work") != "work":
            continue
        branches = st.get("branches")
        first = _mapping(branches[0]) if isinstance(branches, list) and branches else None
        target: Any = st.get("next", "won")
        if first is not None:  # the first branch takes every lead, or some go elsewhere
            every = first.get("share", 1) == 1 and first.get("value_over") is None
            if not every or first.get("source") is not None:
                continue
            target = first.get("stage")
            by_branch.add(str(name))
        if isinstance(target, str):
            certain[str(name)] = target
    endless = _loops(p.stage_names, certain)  # a loop of `next` alone is reported as such
    return [
        (f"stages.{name}.branches", "every lead that reaches this stage goes round a loop for "
         f"ever: {chain}; give a stage on it a success below 1, or a branch a share below 1")
        for name, chain in endless.items() if name in by_branch
    ]  # fmt: skip


def _loops(stage_names: list[str], nexts: Mapping[str, str]) -> dict[str, str]:
    """For each stage whose chain of `next` never ends, the chain as the message shows it
    (`a -> b -> c -> a`); every stage is walked once, however long the chains."""
    fate: dict[str, tuple[str, ...] | None] = {}  # None: the chain ends; else its loop
    for name in stage_names:
        path: list[str] = []
        index: dict[str, int] = {}
        cur = name
        while cur in nexts and cur not in fate and cur not in index:
            index[cur] = len(path)
            path.append(cur)
            cur = nexts[cur]
        if cur in index:  # a new loop, entered at `cur`
            loop = tuple(path[index[cur] :])
            for i, node in enumerate(loop):
                fate[node] = loop[i:] + loop[:i]
            del path[index[cur] :]
        ending = fate.get(cur)
        for node in path:
            fate[node] = ending
    return {n: _chain_text(n, nexts, cyc) for n in stage_names if (cyc := fate.get(n))}


def _chain_text(start: str, nexts: Mapping[str, str], loop: tuple[str, ...]) -> str:
    """`start -> ... -> entry -> ... -> entry`, shortened in the middle when long."""
    head: list[str] = []
    cur = start
    while cur != loop[0] and len(head) < SHOWN_CHAIN:
        head.append(cur)
        cur = nexts[cur]
    if cur == loop[0] and len(head) + len(loop) <= SHOWN_CHAIN:
        return " -> ".join([*head, *loop, loop[0]])
    first = [*head, *loop[:SHOWN_CHAIN]][: SHOWN_CHAIN // 2]
    return " -> ".join([*first, "...", *loop[-(SHOWN_CHAIN // 2 - 1) :], loop[0]])
