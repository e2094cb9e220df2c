"""The docs describe the code as it is."""

from model.params import parameter_table_markdown
from tests.conftest import ROOT


def test_odd_parameter_table_matches_the_schema():
    assert parameter_table_markdown() in (ROOT / "docs" / "ODD.md").read_text(), (
        "docs/ODD.md's parameter table is stale: run mandosim params --update-odd docs/ODD.md"
    )


def test_every_parameter_has_a_source():
    from model.params import parameter_table

    for row in parameter_table():
        assert row["source"].startswith(("FACTS", "assumption", "fitted")), row
