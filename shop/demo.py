"""The demo shop's staff login (demo data only; seed_demo refuses to run in production)."""

DEMO_STAFF_EMAIL = "staff@meadowpine.example"
DEMO_STAFF_PASSWORD = "meadow-pine-staff-2026"  # noqa: S105
