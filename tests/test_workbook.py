"""--xlsx: the folder's tables and a metadata sheet in one workbook, with no text cell that a
spreadsheet would run as a formula."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
from typer.testing import CliRunner

from salessim.cli import app
from salessim.experiment import workbook

runner = CliRunner()


def test_text_that_looks_like_a_formula_is_defused_and_numbers_stay_numbers() -> None:
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1", "-cmd", "@SUM(A1)", "Anna"],
                          "value": [-5.0, 1.0, 2.0, 3.0, 4.0]})  # fmt: skip
    safe = workbook.safe_frame(frame)
    assert safe["name"].tolist() == [" =HYPERLINK(\"http://x\")", " +1", " -cmd", " @SUM(A1)",
                                     "Anna"]  # fmt: skip
    assert safe["value"].tolist() == [-5.0, 1.0, 2.0, 3.0, 4.0]


def test_a_comparison_writes_one_workbook_with_its_tables_and_metadata(
    tiny_file: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(tiny_file.read_text().replace("name: tiny", "name: tiny_two")
                     .replace("designer: {headcount: 1}", "designer: {headcount: 2}"))  # fmt: skip
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(tiny_file), str(other), "-n", "6", "--seed", "3",
                                 "-q", "--xlsx", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out / "results.xlsx")
    assert {"comparison", "differences", "metadata"} <= set(book.sheetnames)
    meta = pd.read_excel(out / "results.xlsx", sheet_name="metadata")
    assert set(meta["scenario"]) == {"tiny", "tiny_two"} and (meta["seed"] == 3).all()
    assert meta["scenario_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert "version.salessim" in meta
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), (sheet.title, cell)
    differences = pd.read_excel(out / "results.xlsx", sheet_name="differences")
    assert pd.api.types.is_numeric_dtype(differences["diff"])
