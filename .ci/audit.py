"""Known-vulnerable dependencies: pip-audit of the venv, read so that "nothing checked" is
never reported as "nothing found".

pip-audit says "No known vulnerabilities found" and exits 0 when the advisory service could
not answer for a single package (each one is only "skipped"). This script runs it with JSON
output and decides itself:

- a known vulnerability: exit 1, naming package, version, advisory and the fixed versions;
- a package that could not be checked: exit 1 too, naming them, unless AUDIT_OFFLINE_OK=1
  (CI on a machine that cannot reach the service): then a warning that says the audit did not
  happen, and exit 0;
- otherwise: exit 0 with the number of packages checked.

Usage: python .ci/audit.py [pip-audit executable]   (make audit)
"""

import json
import os
import subprocess  # nosec B404: runs pip-audit, a fixed command
import sys
import tempfile
from pathlib import Path


def summarize(report: dict) -> tuple[list[str], list[str], int]:
    """(findings, packages not checked, packages checked) of a pip-audit JSON report."""
    findings, unchecked, checked = [], [], 0
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            if "editable" not in dep["skip_reason"]:
                unchecked.append(dep["skip_reason"])
            continue
        checked += 1
        for vuln in dep.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions") or []) or "none yet"
            aliases = ", ".join(vuln.get("aliases") or [])
            findings.append(
                f"{dep['name']} {dep['version']}: {vuln['id']}"
                + (f" ({aliases})" if aliases else "")
                + f"; fixed in {fixed}"
            )
    return findings, unchecked, checked


def main(argv: list[str]) -> int:
    pip_audit = argv[1] if len(argv) > 1 else "pip-audit"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        run = subprocess.run(  # nosec B603: fixed arguments, no shell
            [pip_audit, "--skip-editable", "--progress-spinner", "off", "-f", "json", "-o", out],
            capture_output=True,
            text=True,
        )
        report = json.loads(out.read_text()) if out.exists() and out.stat().st_size else None
    if report is None:
        print(run.stderr.strip(), file=sys.stderr)
        findings, unchecked, checked = [], ["pip-audit produced no report (see above)"], 0
    else:
        findings, unchecked, checked = summarize(report)
        if not checked and not unchecked:
            # an environment pip-audit found nothing in (not the shop's): nothing was audited
            unchecked = ["pip-audit listed no package to check"]
    if findings:
        print(
            f"pip-audit: {len(findings)} known vulnerabilit{'y' if len(findings) == 1 else 'ies'}:"
        )
        for line in findings:
            print(f"  {line}")
    if unchecked:
        offline_ok = os.environ.get("AUDIT_OFFLINE_OK") == "1"
        print(
            f"pip-audit: {'WARNING: ' if offline_ok else ''}{len(unchecked)} package(s) NOT "
            f"checked (the advisory service did not answer for them), {checked} checked:"
        )
        for line in unchecked[:10]:
            print(f"  {line}")
        if len(unchecked) > 10:
            print(f"  … and {len(unchecked) - 10} more")
        if not offline_ok:
            return 1
        print("pip-audit: not audited; AUDIT_OFFLINE_OK=1 lets this pass.")
    if findings:
        return 1
    if not unchecked:
        print(
            f"pip-audit: {checked} package{'s' * (checked != 1)} checked, no known vulnerability."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
