"""Reading CRM exports: usual column names, mixed formats, every unusable row counted by reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from salessim.cli import app
from salessim.crm import export as crm

DATA = Path(__file__).resolve().parent / "data"
runner = CliRunner()


def test_a_messy_export_is_read_with_every_problem_counted() -> None:
    deals = crm.read_export(DATA / "messy_export.csv")
    assert deals.columns == {"id": "Deal-ID ", "owner": " OWNER ", "created": "Engage Date",
                             "closed": "Date Closed", "outcome": "Deal Stage",
                             "value": "Deal Value", "currency": "Currency"}  # fmt: skip
    assert dict(deals.problems) == {
        "no created date": 1,
        "created date not readable": 1,
        "unknown outcome word 'maybe later'": 1,
        "won or lost without a close date": 1,
        "closed before created": 1,
        "in USD, not EUR (not converted; give a rate: --rate USD=...)": 2,
        "unknown currency 'Euro-ish' (not converted)": 1,
        "duplicate id (the last row of each id is kept)": 1,
    }
    assert dict(deals.notes) == {
        "won without a readable value (counted, not used for deal values)": 1
    }
    assert deals.rows_read == 15 and len(deals.frame) == 6
    assert deals.rows_read == len(deals.frame) + sum(deals.problems.values())  # none lost silently
    frame = deals.frame.set_index("id")
    assert frame.at["D-2", "created"] == pd.Timestamp("2025-01-06")  # 06/01 read day-first
    assert frame.at["D-1", "value"] == 12_500.0 and frame.at["D-3", "value"] == 4_500.5
    assert frame.at["D-8", "closed"] == pd.Timestamp("2025-01-26")  # the last duplicate kept
    assert list(frame["outcome"]) == ["won", "lost", "open", "lost", "open", "won"]


@pytest.mark.parametrize(("word", "closed", "outcome"), [
    ("Closed Won", True, "won"), ("closedwon", True, "won"), ("WON", True, "won"),
    ("Closed Lost", True, "lost"), ("rejected", True, "lost"), ("no_show", True, "lost"),
    ("Proposal/Price Quote", False, "open"), ("", False, "open"), ("Qualification", False, "open"),
    ("Maybe", True, ""), ("", True, ""),
])  # fmt: skip
def test_outcome_words(word: str, closed: bool, outcome: str) -> None:
    assert crm.outcome_of(word, closed) == outcome


def test_amounts_in_local_formats() -> None:
    amounts, currency = crm.parse_amounts(pd.Series(["€1,200.50", "1.200,50 EUR", "USD 300",
                                                     "2,500", "12,5", "", "n/a"]))  # fmt: skip
    assert amounts.tolist()[:5] == [1200.5, 1200.5, 300.0, 2500.0, 12.5]
    assert amounts[5:].isna().all()
    assert currency.tolist()[:3] == ["EUR", "EUR", "USD"]


def test_a_column_mapping_names_odd_columns(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Nr;Erstellt am;Abschluss;Ergebnis;Betrag\n1;2025-01-02;2025-01-20;won;100\n"
                    "2;2025-01-03;;offen;50\n")  # fmt: skip
    with pytest.raises(crm.ExportError, match="found no column for created and outcome"):
        crm.read_export(path)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "created: Erstellt am\nclosed: Abschluss\noutcome: Ergebnis\nvalue: Betrag\n"
    )
    deals = crm.read_export(path, mapping)
    assert list(deals.frame["outcome"]) == ["won", "open"]


def test_a_file_without_usable_rows_exits_2_with_one_paragraph(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("id,created,stage\n1,,won\n2,someday,lost\n")
    result = runner.invoke(app, ["calibrate", str(path), "--out", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2
    message = result.stderr.strip().splitlines()[-1]
    assert "none of its 2 rows is usable" in message and "1 no created date" in message
    assert "Traceback" not in result.output and not (tmp_path / "x.yaml").exists()


def test_an_unreadable_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "binary.xlsx"
    path.write_bytes(b"\x00\x01 not a workbook")
    result = runner.invoke(app, ["calibrate", str(path), "--out", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "cannot read it" in result.stderr
    missing = runner.invoke(app, ["calibrate", str(tmp_path / "nope.csv"), "-o", "x.yaml"])
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def _read(tmp_path: Path, text: str) -> crm.Deals:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    return crm.read_export(path)


def test_crm_export_quirks(tmp_path: Path) -> None:
    """Regressions found in review: each line is a habit of a common CRM."""
    # a close date without time on the day of creation is not "closed before created"
    same_day = _read(
        tmp_path, "Created Date,Close Date,Stage\n2025-01-02 15:00,2025-01-02,Closed Won\n"
    )
    assert len(same_day.frame) == 1 and not same_day.problems
    # an open deal's (expected) close date is dropped; HubSpot's stage ids read as open
    hubspot = _read(tmp_path, "Create Date,Close Date,Deal Stage\n2025-01-02,2025-09-30,"
                    "appointmentscheduled\n2025-01-03,2025-01-20,closedwon\n")  # fmt: skip
    assert list(hubspot.frame["outcome"]) == ["open", "won"]
    assert hubspot.frame["closed"].isna().tolist() == [True, False]
    # Pipedrive: "Deal - " prefixes and one close column per outcome
    pipedrive = _read(tmp_path, "Deal - ID,Deal - Status,Deal - Deal created,Deal - Won time,"
                      "Deal - Lost time\n1,won,2025-01-02,2025-01-09,\n2,lost,2025-01-03,,"
                      "2025-01-05\n")  # fmt: skip
    assert list(pipedrive.frame["outcome"]) == ["won", "lost"] and not pipedrive.problems
    # German thousands separators, and a timestamp's UTC offset keeps the local wall time
    german = _read(tmp_path, "created;outcome;closed;amount\n2025-01-01T00:30:00+02:00;won;"
                   "03.02.2025;5.682\n2025-01-02;lost;04.02.2025;12.000\n")  # fmt: skip
    assert german.frame["value"].tolist()[:1] == [5682.0]
    assert german.frame["created"].iloc[0] == pd.Timestamp("2025-01-01 00:30")
    assert german.frame["closed"].iloc[0] == pd.Timestamp("2025-02-03")  # dotted: day first
    # a repeated deal name is not an id: nothing is dropped as a duplicate
    names = _read(tmp_path, "Opportunity Name,Created,Stage,Close Date\nAcme - Renewal,"
                  "2025-01-01,Closed Won,2025-02-01\nAcme - Renewal,2026-01-01,Closed Won,"
                  "2026-02-01\n")  # fmt: skip
    assert len(names.frame) == 2


def test_an_export_without_closed_deals_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    path.write_text("created,stage\n2025-01-02,Proposal\n2025-01-03,Negotiation\n")
    result = runner.invoke(app, ["calibrate", str(path), "--out", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "no won or lost deal" in result.stderr
    assert "Traceback" not in result.output and not list(tmp_path.glob("*.yaml"))


def test_a_column_that_looks_like_a_missing_field_is_refused_until_mapped(tmp_path: Path) -> None:
    """'Amount (EUR)' and 'Sales Rep Name' are not recognised names, but they look like the
    value and the owner: the export is refused with the fix, not read without them."""
    path = tmp_path / "export.csv"
    path.write_text("Created,Close Date,Stage,Amount (EUR),Sales Rep Name,Notes\n"
                    "2025-01-02,2025-01-20,won,100,Ann,x\n2025-01-03,,open,50,Bob,y\n")  # fmt: skip
    with pytest.raises(crm.ExportError) as err:
        crm.read_export(path)
    text = str(err.value)
    assert "value (but 'Amount (EUR)' looks like one)" in text
    assert "owner (but 'Sales Rep Name' looks like one)" in text and "value: ~" in text
    mapping = tmp_path / "map.yaml"
    mapping.write_text("value: Amount (EUR)\nowner: ~\n")
    deals = crm.read_export(path, mapping)
    lines = deals.report_lines()
    assert "value = 'Amount (EUR)'" in lines[1] and "created = 'Created'" in lines[1]
    assert "no column for: owner" in lines[2]
    assert "'Sales Rep Name'" in lines[3] and "'Notes'" in lines[3]
    result = runner.invoke(app, ["calibrate", str(path), "--out", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "looks like one" in result.output


def test_the_export_date_ends_the_data_and_later_closes_are_planned(tmp_path: Path) -> None:
    """Exported on 10 March: a deal 'won' on 30 April is a planned close (still open), a deal
    created on 12 March cannot be in it (dropped), and calibration's window ends on 10 March,
    not on the latest planned date."""
    path = tmp_path / "export.csv"
    rows = ["Created,Close Date,Stage,Amount"]
    rows += [f"2025-01-{d:02d},2025-02-{d:02d},{'won' if d % 3 == 0 else 'lost'},100"
             for d in range(1, 29)]  # fmt: skip
    rows += ["2025-03-01,2025-04-30,won,900", "2025-03-12,,open,50"]
    path.write_text("\n".join(rows) + "\n")
    whole = crm.read_export(path)
    assert whole.end == pd.Timestamp("2025-04-30")
    deals = crm.read_export(path, export_date=dt.date(2025, 3, 10))
    frame = deals.frame
    assert len(frame) == 29 and (frame["outcome"] == "won").sum() == 9
    assert frame.loc[frame["value"] == 900, "outcome"].item() == "open"
    lines = "\n".join(deals.report_lines())
    assert "dropped 1: created after the export date 2025-03-10" in lines
    assert "kept 1: closed after the export date 2025-03-10 (a planned close)" in lines
    assert deals.end.date() == dt.date(2025, 3, 10)
    from salessim.crm.calibrate import calibrate

    cal = calibrate(deals, "acme")
    assert cal.data["calendar"]["start"] == "2025-03-11"
    result = runner.invoke(app, ["calibrate", str(path), "--export-date", "10/03/2025",
                                 "--out", str(tmp_path / "x.yaml")])  # fmt: skip
    assert result.exit_code == 2 and "--export-date" in result.output


def test_a_won_flag_as_outcome_keeps_unclosed_deals_open(tmp_path: Path) -> None:
    """'Is Won' true/false: a deal not won is lost if it has closed, else still open, not lost;
    without any close date the flag cannot tell, and the export is refused."""
    path = tmp_path / "export.csv"
    path.write_text("Created,Close Date,Is Won,Amount\n2025-01-02,2025-01-20,true,100\n"
                    "2025-01-03,2025-01-25,false,50\n2025-01-04,,false,70\n")  # fmt: skip
    mapping = tmp_path / "map.yaml"
    mapping.write_text("outcome: Is Won\n")
    deals = crm.read_export(path, mapping)
    assert list(deals.frame["outcome"]) == ["won", "lost", "open"]
    assert any("won/not-won flag" in line for line in deals.report_lines())
    no_close = tmp_path / "no_close.csv"
    no_close.write_text("Created,Is Won\n2025-01-02,true\n2025-01-03,false\n")
    with pytest.raises(crm.ExportError, match="could be lost or still open"):
        crm.read_export(no_close, mapping)


def test_deals_in_another_currency_are_converted_at_the_rate_given(tmp_path: Path) -> None:
    """The messy export's two USD deals are dropped without a rate; with --rate USD=0.5 they
    are kept at half their amount, in EUR."""
    messy = Path(__file__).parent / "data" / "messy_export.csv"
    plain = crm.read_export(messy)
    assert any("--rate USD=" in line for line in plain.report_lines())
    converted = crm.read_export(messy, rates={"USD": 0.5})
    assert len(converted.frame) == len(plain.frame) + 2
    assert "in USD, converted at 0.5 EUR per USD" in "\n".join(converted.report_lines())
    frame = converted.frame.set_index("id")
    assert frame.at["D-7", "value"] == 400  # 800 USD
    result = runner.invoke(app, ["calibrate", str(messy), "--rate", "USD", "--out",
                                 str(tmp_path / "x.yaml")])  # fmt: skip
    assert result.exit_code == 2 and "CODE=rate" in result.output


def test_a_mapping_can_say_what_custom_stage_words_mean(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("open_stages: [Maybe later]\nlost_stages: [Closed Lost]\n")
    before = crm.read_export(DATA / "messy_export.csv")
    assert any("open_stages" in line for line in before.report_lines())  # the hint
    deals = crm.read_export(DATA / "messy_export.csv", mapping)
    assert "unknown outcome word 'maybe later'" not in deals.problems
    assert len(deals.frame) == len(before.frame) + 1
    kept = deals.frame[~deals.frame["id"].isin(before.frame["id"])]
    assert kept["outcome"].tolist() == ["open"] and kept["closed"].isna().all()
    mapping.write_text("open_stages: Maybe later\n")
    with pytest.raises(crm.ExportError, match="open_stages is a list"):
        crm.read_export(DATA / "messy_export.csv", mapping)
