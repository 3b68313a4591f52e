"""`make audit` (.ci/audit.py): a known vulnerability fails and is named; packages the advisory
service did not answer for are never reported as audited."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def audit():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake_pip_audit(tmp_path):
    """A pip-audit that writes the given report where -o asks, as the real one does."""

    def make(report: dict | None) -> str:
        script = tmp_path / "pip-audit"
        body = "" if report is None else f"open(out, 'w').write({json.dumps(report)!r})"
        script.write_text(
            f"#!{sys.executable}\nimport sys\nout = sys.argv[sys.argv.index('-o') + 1]\n{body}\n"
            "print('No known vulnerabilities found', file=sys.stderr)\n"
        )
        script.chmod(0o755)
        return str(script)

    return make


SHOP = {"name": "shop", "skip_reason": "distribution marked as editable"}
DJANGO_OK = {"name": "django", "version": "5.2.19", "vulns": []}
PILLOW_BAD = {
    "name": "pillow",
    "version": "11.3.0",
    "vulns": [{"id": "PYSEC-2026-1", "fix_versions": ["12.1.1"], "aliases": ["CVE-2026-25990"]}],
}
NOT_FOUND = {
    "name": "celery",
    "skip_reason": "Dependency not found on PyPI and could not be audited: celery (5.7.0)",
}


def test_a_known_vulnerability_fails_and_is_named(audit, fake_pip_audit, capsys, monkeypatch):
    monkeypatch.setenv("AUDIT_OFFLINE_OK", "1")  # does not excuse a finding
    report = {"dependencies": [SHOP, DJANGO_OK, PILLOW_BAD], "fixes": []}
    assert audit.main(["audit", fake_pip_audit(report)]) == 1
    out = capsys.readouterr().out
    assert "pillow 11.3.0: PYSEC-2026-1 (CVE-2026-25990); fixed in 12.1.1" in out


def test_packages_not_checked_fail_unless_offline_is_allowed(
    audit, fake_pip_audit, capsys, monkeypatch
):
    report = {"dependencies": [SHOP, DJANGO_OK, NOT_FOUND], "fixes": []}
    monkeypatch.delenv("AUDIT_OFFLINE_OK", raising=False)
    assert audit.main(["audit", fake_pip_audit(report)]) == 1
    out = capsys.readouterr().out
    assert "1 package(s) NOT checked" in out
    assert "celery (5.7.0)" in out
    assert "no known vulnerability" not in out

    monkeypatch.setenv("AUDIT_OFFLINE_OK", "1")
    assert audit.main(["audit", fake_pip_audit(report)]) == 0
    out = capsys.readouterr().out
    assert "WARNING" in out
    assert "not audited" in out


def test_no_report_at_all_is_not_a_pass(audit, fake_pip_audit, capsys, monkeypatch):
    monkeypatch.delenv("AUDIT_OFFLINE_OK", raising=False)
    assert audit.main(["audit", fake_pip_audit(None)]) == 1
    assert "NOT checked" in capsys.readouterr().out


def test_everything_checked_and_clean_passes(audit, fake_pip_audit, capsys, monkeypatch):
    monkeypatch.delenv("AUDIT_OFFLINE_OK", raising=False)
    report = {"dependencies": [SHOP, DJANGO_OK], "fixes": []}
    assert audit.main(["audit", fake_pip_audit(report)]) == 0
    assert "1 package checked, no known vulnerability" in capsys.readouterr().out


def test_a_report_that_checked_nothing_is_not_a_pass(audit, fake_pip_audit, capsys, monkeypatch):
    """pip-audit run in an environment without the shop's packages (or one it could not read)
    lists none: "0 packages checked, no known vulnerability" is nothing checked, not a pass."""
    monkeypatch.delenv("AUDIT_OFFLINE_OK", raising=False)
    for report in ({"dependencies": [], "fixes": []}, {"dependencies": [SHOP], "fixes": []}):
        assert audit.main(["audit", fake_pip_audit(report)]) == 1
        out = capsys.readouterr().out
        assert "NOT checked" in out
        assert "no known vulnerability" not in out
