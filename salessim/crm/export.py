"""Read a CRM opportunities export (CSV or Excel) into clean deals, reporting every bad row.

The first step of calibration: `read_export(path)` recognises the usual column names of CRM exports
(deal/opportunity owner, stage/status, created/engage date, close date, amount/value, product,
account, stage history) case- and space-insensitively, or takes a mapping file. It returns a
`Deals` frame with one row per deal (`id`, `owner`, `created`, `closed`, `outcome` in won / lost /
open, `value`, `product`, `stages`) and counts of the rows it could not use, by reason. Nothing is
dropped silently. The per-lead log of `salessim run --leads` reads as an export too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from salessim.errors import SalessimError

# fmt: off
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "deal id", "opportunity id", "record id", "lead", "lead id"),
    "owner": ("owner", "deal owner", "opportunity owner", "sales rep", "rep", "salesperson",
              "sales person", "assigned to", "user", "owner name", "closed by", "account owner"),
    "created": ("created", "created date", "create date", "created at", "createdate",
                "date created", "created on", "first contact", "first contact date",
                "engage date", "engaged", "engaged at", "opened", "open date", "add time",
                "deal created"),
    "closed": ("actual close date", "closed", "close date", "closed date", "closed at",
               "closedate", "date closed", "closed on", "close time"),
    "outcome": ("outcome", "status", "stage", "deal stage", "dealstage", "state", "result",
                "won lost", "is won"),
    "value": ("value", "amount", "deal value", "opportunity amount", "deal amount", "revenue",
              "price", "deal size", "total"),
    "product": ("product", "product name", "products", "product line", "offering"),
    "account": ("account", "account name", "company", "organization", "organisation", "client",
                "customer"),
    "stages": ("stage history", "stages", "path", "stage path", "stages reached"),
    "currency": ("currency", "currency code", "amount currency", "deal currency"),
}
# Pipedrive and others keep the close time in one column per outcome
CLOSE_BY_OUTCOME = {"won": ("won time", "won date", "date won"),
                    "lost": ("lost time", "lost date", "date lost")}
# fmt: on
REQUIRED = ("created", "outcome")
WON_WORDS = {"won", "closedwon", "closed won", "win", "signed", "deal won", "yes", "true", "1"}
LOST_WORDS = {
    "lost",
    "closedlost",
    "closed lost",
    "lose",
    "rejected",
    "cold",
    "left",
    "followed",
    "no show",
    "noshow",
    "dead",
    "disqualified",
    "unqualified",
    "no",
    "false",
    "0",
    "abandoned",
    "closed no decision",
    "declined",
}
OPEN_WORDS = {
    "open",
    "in progress",
    "new",
    "qualified",
    "qualification",
    "proposal",
    "negotiation",
    "contacted",
    "meeting",
    "demo",
    "discovery",
    "pending",
    "active",
    "presentation",
    "contract sent",
    "appointment scheduled",
    "decision maker bought in",
    "prospecting",
    "needs analysis",
    "value proposition",
    "perception analysis",
    "id decision makers",
    "proposal price quote",
    "negotiation review",
}
OPEN_SQUASHED = {w.replace(" ", "") for w in OPEN_WORDS} | {
    "appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
    "decisionmakerboughtin", "contractsent", "offen", "inbearbeitung"}  # fmt: skip
CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}


class ExportError(SalessimError):
    """An export that cannot be read or holds no usable deal."""


@dataclass
class Deals:
    """Clean deals of an export, and what was wrong with the rest."""

    frame: pd.DataFrame
    source: str
    columns: dict[str, str]  # field -> column name found in the file
    rows_read: int
    problems: Counter[str] = field(default_factory=Counter)  # reason -> rows (dropped)
    notes: Counter[str] = field(default_factory=Counter)  # reason -> rows (kept, with a caveat)
    currency: str = ""
    ignored: list[str] = field(default_factory=list)  # columns of the file used for nothing
    export_date: pd.Timestamp | None = None  # the day the export was taken, when given
    entries: dict[str, str] = field(default_factory=dict)  # stage -> column of its entry date

    @property
    def end(self) -> pd.Timestamp:
        """The end of the data: the export date, else the latest date in it."""
        if self.export_date is not None:
            return self.export_date
        return max(self.frame["created"].max(), self.frame["closed"].max())

    absent: list[str] = field(default_factory=list)  # fields the export has no column for

    def report_lines(self) -> list[str]:
        lines = [
            f"{self.rows_read:,} rows read from {self.source}; {len(self.frame):,} usable deals"
        ]
        used = ", ".join(f"{key} = '{column}'" for key, column in self.columns.items())
        lines.append(f"  columns used: {used}")
        if self.entries:
            lines.append("  stage entry dates: " + ", ".join(
                f"{stage} = '{column}'" for stage, column in self.entries.items()))  # fmt: skip
        if self.absent:
            lines.append(f"  no column for: {', '.join(self.absent)}")
        if self.ignored:
            lines.append(f"  ignored: {', '.join(repr(c) for c in self.ignored)}")
        lines += [f"  dropped {n:,}: {why}" for why, n in self.problems.most_common()]
        lines += [f"  kept {n:,}: {why}" for why, n in self.notes.most_common()]
        if any(why.startswith("unknown outcome word") for why in self.problems):
            lines.append("  (say what an unknown word means in the mapping file, e.g. "
                         "'open_stages: [Verbal commit]', or won_stages, lost_stages)")  # fmt: skip
        return lines


def _norm(text: object) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def _short(name: object) -> str:
    """A header without Pipedrive's "Deal - " style prefix, normalised."""
    return re.sub(r"^(deal|opportunity|lead)\s+", "", _norm(name))


ENTERED = re.compile(r"^(?:date )?entered (?:stage )?(.+?)(?: date| at| on)?$")


def entry_columns(names: list[str]) -> dict[str, str]:
    """Stage -> column holding the date each deal entered that stage ('Date entered Proposal',
    'entered qualify'), as some CRMs (HubSpot) and salessim's lead log have them."""
    found: dict[str, str] = {}
    for name in names:
        match = ENTERED.match(_norm(name))
        if match:
            found.setdefault(match.group(1).replace(" ", "_"), name)
    return found


def find_columns(names: list[str], mapping: dict[str, str | None] | None = None
                 ) -> dict[str, str]:  # fmt: skip
    """Field -> column, from `mapping` first, then the usual CRM names (first match wins). A
    field mapped to nothing (`owner: ~`) is declared absent and not looked for."""
    found: dict[str, str] = {}
    absent = {key for key, column in (mapping or {}).items() if column is None}
    by_norm = {_norm(n): n for n in names}
    for n in names:  # Pipedrive writes "Deal - Status", "Deal - Won time"...
        by_norm.setdefault(_short(n), n)
    for key, column in (mapping or {}).items():
        if key not in FIELDS:
            raise ExportError(
                f"column mapping: unknown field '{key}'; known fields: {', '.join(FIELDS)}"
            )
        if column is None:
            continue
        if column not in names:
            raise ExportError(
                f"column mapping: {key}: no column '{column}' in the export; its "
                f"columns are: {', '.join(names)}"
            )
        found[key] = column
    for key, synonyms in FIELDS.items():
        if key in found or key in absent:
            continue
        for synonym in synonyms:
            if _norm(synonym) in by_norm and by_norm[_norm(synonym)] not in found.values():
                found[key] = by_norm[_norm(synonym)]
                break
    return found


LOOKS_LIKE: dict[str, tuple[str, ...]] = {
    "created": ("created", "create", "creation"),
    "closed": ("close", "closed", "closing"),
    "outcome": ("stage", "status", "outcome", "result", "won"),
    "value": ("amount", "value", "revenue", "price", "amt"),
    "owner": ("owner", "rep", "salesperson", "seller", "assigned", "agent"),
}
"""The fields whose absence changes the fit (dates and outcome: rates and cycles; value: deal
sizes; owner: the people), and words that make a column look like one: such a column must
not be passed over silently."""
MATTERS = tuple(LOOKS_LIKE)


def near_misses(names: list[str], found: dict[str, str],
                absent: set[str]) -> dict[str, str]:  # fmt: skip
    """Field -> an unused column whose name looks like the field's ('Amount (EUR)' for value,
    'Sales Rep Name' for owner), for the fields that matter and were not found."""
    unused = [n for n in names if n not in found.values()]
    misses: dict[str, str] = {}
    for key in MATTERS:
        if key in found or key in absent:
            continue
        for name in unused:
            if set(_norm(name).split()) & set(LOOKS_LIKE[key]):
                misses[key] = name
                break
    return misses


def _load_table(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            return pd.read_excel(path, dtype=str)
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            sep=None,
            engine="python",
            encoding_errors="replace",
        )
    except FileNotFoundError as exc:
        raise ExportError(f"{path}: no such file") from exc
    except (OSError, ValueError, ImportError, pd.errors.ParserError) as exc:
        raise ExportError(
            f"{path}: cannot read it as a CSV, Excel or Parquet table: {exc}"
        ) from exc


def _from_lead_log(table: pd.DataFrame) -> pd.DataFrame:
    """The per-lead log of `salessim run --leads` (first replication), in export form."""
    if "replication" in table:
        table = table[table["replication"] == table["replication"].min()]
    if "kind" in table:
        table = table[table["kind"] != "repeat"]
    table = table.copy()
    start = pd.to_datetime(table["created_at"]) - pd.to_timedelta(table["arrived_hours"], unit="h")
    for column in [c for c in table.columns if str(c).startswith("entered_hours.")]:
        hours = pd.to_numeric(table.pop(column), errors="coerce")
        table[f"entered {str(column).split('.', 1)[1]}"] = start + pd.to_timedelta(hours, unit="h")
    return table


def read_export(path: str | Path, mapping_file: str | Path | None = None,
                export_date: dt.date | None = None,
                rates: dict[str, float] | None = None) -> Deals:  # fmt: skip
    """Read and clean an export; raises `ExportError` when nothing usable is left. With
    `export_date`, the data ends that day (see `as_of`); `rates` converts deals in other
    currencies (code -> value of one unit in the export's main currency)."""
    path = Path(path)
    table = _load_table(path)
    if "arrived_hours" in table.columns and "created_at" in table.columns:
        table = _from_lead_log(table)
    mapping, stage_words = _read_mapping(Path(mapping_file)) if mapping_file else (None, {})
    names = [str(c) for c in table.columns]
    columns = find_columns(names, mapping)
    absent = {key for key, column in (mapping or {}).items() if column is None}
    misses = near_misses(names, columns, absent)
    if misses:
        raise ExportError(
            f"{path}: no column was recognised as "
            + "; ".join(f"{key} (but '{column}' looks like one)" for key, column in
                        misses.items())
            + ". Name them in a mapping file (--columns map.yaml, e.g. '"
            + "', '".join(f"{key}: {column}" for key, column in misses.items())
            + "'), or declare a field absent with '"
            + next(iter(misses)) + ": ~' if that column is something else."
        )  # fmt: skip
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise ExportError(
            f"{path}: found no column for {' and '.join(missing)} (looked for names like "
            f"{'; '.join(', '.join(FIELDS[f][:4]) for f in missing)}). Its columns are: "
            f"{', '.join(names)}. Name them in a mapping file (--columns map.yaml, e.g. "
            "'created: Erstellt am') and try again."
        )
    deals = _clean(table, columns, path, rates, stage_words)
    deals.ignored = [n for n in names if n not in columns.values()
                     and n not in deals.columns.get("closed", "").split(" / ")
                     and n not in deals.entries.values()]  # fmt: skip
    deals.absent = [key for key in MATTERS if key not in deals.columns]
    if export_date is not None:
        as_of(deals, pd.Timestamp(export_date))
    if deals.frame.empty:
        raise ExportError(
            f"{path}: none of its {deals.rows_read:,} rows is usable ("
            + "; ".join(f"{n:,} {why}" for why, n in deals.problems.most_common())
            + "). Check the date and outcome columns, or map them with --columns."
        )
    return deals


def frame_at(frame: pd.DataFrame, day: pd.Timestamp) -> tuple[pd.DataFrame, int, int]:
    """The deals as the CRM showed them at the end of `day`: those created later left out, and
    a won or lost deal closed later still open. Returns (deals, created later, closed later)."""
    end = day.normalize() + pd.Timedelta(days=1)
    later = frame["created"] >= end
    frame = frame[~later].copy()
    closed_later = frame["closed"] >= end
    frame.loc[closed_later, "outcome"] = "open"
    frame.loc[closed_later, "closed"] = pd.NaT
    for column in [c for c in frame.columns if str(c).startswith("entered.")]:
        frame.loc[frame[column] >= end, column] = pd.NaT  # a stage entered later
    return frame, int(later.sum()), int(closed_later.sum())


def as_of(deals: Deals, export_date: pd.Timestamp) -> None:
    """The export as it stood at the end of `export_date`: deals created later are dropped,
    and a won or lost deal closed later is a planned close, still open (both counted); the
    data then ends that day, not at the latest planned date."""
    deals.frame, later, planned = frame_at(deals.frame, export_date)
    day = export_date.date()
    if later:
        deals.problems[f"created after the export date {day}"] += later
    if planned:
        deals.notes[f"closed after the export date {day} (a planned close): still open"] += planned
    deals.export_date = export_date.normalize() + pd.Timedelta(days=1, microseconds=-1)


# keys of a mapping file that list the outcome column's words for each outcome
STAGE_LISTS = {"won_stages": "won", "lost_stages": "lost", "open_stages": "open"}


def _read_mapping(path: Path) -> tuple[dict[str, str | None], dict[str, str]]:
    """(field -> column or None, outcome word -> won/lost/open) of a mapping file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ExportError(f"{path}: cannot read the column mapping: {exc}") from exc
    lists = {k: data.pop(k) for k in STAGE_LISTS if isinstance(data, dict) and k in data}
    if not isinstance(data, dict) or not all(v is None or isinstance(v, str)
                                             for v in data.values()):  # fmt: skip
        raise ExportError(
            f"{path}: a column mapping is 'field: column name' per line, e.g. 'owner: Sales "
            "Rep', or 'field: ~' for a field the export does not have"
        )
    words: dict[str, str] = {}
    for key, values in lists.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ExportError(
                f"{path}: {key} is a list of the outcome column's words, e.g. "
                f"'{key}: [Verbal commit, Contract sent]'"
            )
        words.update({_norm(v): STAGE_LISTS[key] for v in values})
    return {str(k): (None if v is None else str(v)) for k, v in data.items()}, words


def day_first(*columns: pd.Series) -> bool:
    """Whether slashed dates put the day first: some first number above 12 in any column."""
    for values in columns:
        text = values.fillna("").astype(str)
        firsts = text.str.extract(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]")
        if (pd.to_numeric(firsts[0], errors="coerce") > 12).any():
            return True
        if text.str.match(r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4}").any():
            return True  # 03.04.2025 is written day first wherever dots are used
    return False


def parse_dates(values: pd.Series, dayfirst: bool = False) -> pd.Series:
    """Dates in any common format, mixed within one column (`dayfirst` for 03/04 ambiguity)."""
    text = values.fillna("").astype(str).str.strip()
    text = text.mask(text.str.lower().isin(["", "nan", "nat", "none", "null", "-"]), "")
    # the local wall time is what the seller saw: drop a UTC offset rather than convert
    text = text.str.replace(r"\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})$", "", regex=True)
    iso = pd.to_datetime(
        text.where(text.str.match(r"^\d{4}-\d{2}-\d{2}")),
        errors="coerce",
        format="ISO8601",
        utc=True,
    )
    rest = text.where(iso.isna() & (text != ""))
    other = pd.to_datetime(rest, errors="coerce", format="mixed", dayfirst=dayfirst, utc=True)
    return iso.fillna(other).dt.tz_convert(None)


def parse_amounts(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from money text ("€1,200.50", "1.200,50 EUR", "USD 300"): (amount, currency)."""
    text = values.fillna("").astype(str).str.strip()
    currency = pd.Series("", index=text.index)
    for symbol, code in CURRENCY_SYMBOLS.items():
        currency = currency.mask(text.str.contains(re.escape(symbol)), code)
    codes = text.str.extract(r"([A-Za-z]{3})")[0].str.upper()
    currency = currency.mask(codes.notna() & (currency == ""), codes)
    words = text.str.extract(r"([A-Za-z][A-Za-z\-]{3,}(?:\s+[A-Za-z\-]+)*)")[0]
    currency = currency.mask(words.notna(), "?" + words.fillna("").str.strip())
    digits = text.str.replace(r"[^0-9,.\-]", "", regex=True)
    dotted = digits[digits.str.contains(".", regex=False)]
    if (len(dotted) and not digits.str.contains(",", regex=False).any()
            and dotted.str.fullmatch(r"-?\d{1,3}(\.\d{3})+").all()):  # fmt: skip
        digits = digits.str.replace(".", "", regex=False)  # 5.682 is five thousand here
    return digits.map(_number), currency


def _number(text: str) -> float:
    if not text or text in "-.,":
        return np.nan
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = text.replace(",", "") if len(tail) == 3 and head else text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return np.nan


FLAG_TRUE = {"yes", "true", "1", "y", "t"}
FLAG_FALSE = {"no", "false", "0", "n", "f"}


def is_flag(words: pd.Series) -> bool:
    """Whether an outcome column holds only a won/not-won flag (true/false, yes/no, 1/0)."""
    seen = set(words.map(_norm)) - {""}
    return bool(seen) and seen <= FLAG_TRUE | FLAG_FALSE


def outcome_of(word: str, has_close: bool) -> str:
    """won / lost / open, or '' when the word is not one a CRM uses for an outcome."""
    w = _norm(word)
    squashed = w.replace(" ", "")
    if w in WON_WORDS or squashed.endswith("won") or squashed == "gewonnen":
        return "won"
    if w in LOST_WORDS or "lost" in squashed or squashed == "verloren":
        return "lost"
    if w in OPEN_WORDS or squashed in OPEN_SQUASHED or (w == "" and not has_close):
        return "open"
    if w and not has_close and not w.startswith("closed"):
        return "open"  # a pipeline stage name of an open deal
    return ""


def _clean(table: pd.DataFrame, columns: dict[str, str], path: Path,
           rates: dict[str, float] | None = None,
           stage_words: dict[str, str] | None = None) -> Deals:  # fmt: skip
    deals = Deals(pd.DataFrame(), str(path.name), columns, len(table))
    out = pd.DataFrame(index=table.index)
    out["id"] = (
        table[columns["id"]].astype(str).str.strip()
        if "id" in columns
        else pd.Series(range(len(table)), index=table.index).astype(str)
    )
    out["owner"] = (
        table[columns["owner"]].fillna("").astype(str).str.strip() if "owner" in columns else ""
    )
    extra_close = [c for c in table.columns if _short(c) in sum(CLOSE_BY_OUTCOME.values(), ())]
    dates = [table[columns[f]] for f in ("created", "closed") if f in columns]
    dayfirst = day_first(*dates, *(table[c] for c in extra_close))
    out["created"] = parse_dates(table[columns["created"]], dayfirst)
    out["closed"] = (
        parse_dates(table[columns["closed"]], dayfirst)
        if "closed" in columns
        else pd.Series(pd.NaT, index=table.index)
    )
    for column in extra_close:  # won time / lost time
        out["closed"] = out["closed"].fillna(parse_dates(table[column], dayfirst))
    if extra_close and "closed" not in columns:
        columns["closed"] = " / ".join(map(str, extra_close))
    words = table[columns["outcome"]].fillna("").astype(str)
    if is_flag(words):  # won / not won: a deal not won is lost only once it has closed
        if "closed" not in columns:
            raise ExportError(
                f"{path}: the outcome column '{columns['outcome']}' is a won/not-won flag and "
                "there is no close date, so a deal not won could be lost or still open; map "
                "a close date column (--columns, e.g. 'closed: Close Date') or a stage column "
                "as the outcome"
            )
        won = words.map(_norm).isin(FLAG_TRUE)
        out["outcome"] = np.where(won, "won", np.where(out["closed"].notna(), "lost", "open"))
        deals.notes[f"outcome from the won/not-won flag '{columns['outcome']}': not won with a "
                    "close date is lost, without one still open"] += len(table)  # fmt: skip
    else:
        declared = stage_words or {}
        out["outcome"] = [declared.get(_norm(w)) or outcome_of(w, pd.notna(c))
                          for w, c in zip(words, out["closed"], strict=True)]  # fmt: skip
    # an open deal's close date is the expected one, not something that happened
    out.loc[out["outcome"] == "open", "closed"] = pd.NaT
    amount, currency = (
        parse_amounts(table[columns["value"]])
        if "value" in columns
        else (pd.Series(np.nan, index=table.index), pd.Series("", index=table.index))
    )
    if "currency" in columns:
        given = table[columns["currency"]].fillna("").astype(str).str.strip()
        code = given.str.upper().where(given.str.fullmatch(r"[A-Za-z]{3}"), "?" + given)
        currency = code.where(given != "", currency)
    out["value"] = amount
    out["product"] = (
        table[columns["product"]].fillna("").astype(str).str.strip() if "product" in columns else ""
    )
    out["stages"] = (
        table[columns["stages"]].fillna("").astype(str).str.strip() if "stages" in columns else ""
    )
    for stage, column in entry_columns([str(c) for c in table.columns]).items():
        out[f"entered.{stage}"] = parse_dates(table[column], dayfirst)
        deals.entries[stage] = column
    keep = pd.Series(True, index=table.index)

    def drop(mask: pd.Series, reason: str) -> None:
        nonlocal keep
        hit = mask & keep
        if hit.any():
            deals.problems[reason] += int(hit.sum())
            keep &= ~hit

    raw_created = table[columns["created"]].fillna("").astype(str).str.strip()
    drop(raw_created == "", "no created date")
    drop(out["created"].isna(), "created date not readable")
    unknown = out["outcome"] == ""
    for word, n in Counter(words[unknown & keep].map(_norm)).most_common():
        deals.problems[f"unknown outcome word '{word}'"] += n
    keep &= ~unknown
    drop(
        out["outcome"].isin(["won", "lost"]) & out["closed"].isna(),
        "won or lost without a close date",
    )
    drop(
        out["closed"].notna() & (out["closed"].dt.normalize() < out["created"].dt.normalize()),
        "closed before created",
    )
    # a close date without a time (Salesforce, HubSpot) on the day of creation: same moment
    same_day = out["closed"].notna() & (out["closed"] < out["created"])
    out.loc[same_day, "closed"] = out.loc[same_day, "created"]
    main = _main_currency(currency[keep])
    deals.currency = main
    for unit, per_unit in (rates or {}).items():  # converted at the user's rate
        converted = (currency == unit) & (unit != main)
        if (converted & keep).any():
            out.loc[converted, "value"] = out.loc[converted, "value"] * per_unit
            currency = currency.mask(converted, main)
            deals.notes[f"in {unit}, converted at {per_unit:g} {main} per {unit}"] += int(
                (converted & keep).sum()
            )
    foreign = (currency != "") & (currency != main)
    for code, n in Counter(currency[foreign & keep]).most_common():
        label = (
            f"unknown currency '{code[1:]}' (not converted)"
            if code.startswith("?")
            else f"in {code}, not {main} (not converted; give a rate: --rate {code}=...)"
        )
        deals.problems[label] += n
    keep &= ~foreign
    missing_value = out["value"].isna() & (out["outcome"] == "won")
    if (missing_value & keep).any():
        deals.notes["won without a readable value (counted, not used for deal values)"] += int(
            (missing_value & keep).sum()
        )
    out = out[keep]
    duplicated = out["id"].duplicated(keep="last") & (out["id"] != "")
    if duplicated.any():
        deals.problems["duplicate id (the last row of each id is kept)"] += int(duplicated.sum())
        out = out[~duplicated]
    deals.frame = out.sort_values("created", kind="stable").reset_index(drop=True)
    return deals


def cycle_days(deals: pd.DataFrame) -> pd.Series:
    """Days from creation to close of each deal (NaN while open)."""
    return (deals["closed"] - deals["created"]).dt.total_seconds() / 86400


def _main_currency(codes: pd.Series) -> str:
    known = codes[(codes != "") & ~codes.str.startswith("?")]
    return str(known.mode().iloc[0]) if not known.empty else ""
