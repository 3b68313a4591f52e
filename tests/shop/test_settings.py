import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "shop.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# What a real shop sets instead of the demo's values (shop.W001 names any left)
OWN_VALUES = {
    "SHOP_NAME": "Alpenglow Tea & Trail",
    "SHOP_ADMIN_EMAIL": "hello@alpenglow.example",
    "SHOP_BANK_IBAN": "CH93 0076 2011 6238 5295 7",
    "SHOP_BANK_BIC": "POFICHBEXXX",
    "SHOP_BANK_NAME": "PostFinance",
    "SHOP_LEGAL_NAME": "Alpenglow Tea & Trail AG",
    "SHOP_LEGAL_ADDRESS": "Bahnhofstrasse 12,8001 Zürich,Switzerland",
    "SHOP_LEGAL_REPRESENTATIVE": "Managing director: Lena Brunner",
    "SHOP_LEGAL_REGISTER": "Handelsregister Kanton Zürich, CHE-123.456.789",
    "SHOP_VAT_ID": "CHE-123.456.789 MWST",
}


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, **OWN_VALUES}
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_check_deploy_warns_of_the_demos_bank_account_and_legal_notice():
    env = {**PRODUCTION_ENV, **OWN_VALUES}
    for name in ("SHOP_BANK_IBAN", "SHOP_LEGAL_NAME", "SHOP_VAT_ID"):
        env.pop(name)
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert (
        "(shop.W001) Still the demo's values: SHOP_BANK_IBAN, SHOP_LEGAL_NAME, SHOP_VAT_ID."
    ) in result.stderr


def test_production_refuses_the_dev_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    env.pop("SECRET_KEY")
    result = run_manage("check", env={**env, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_malformed_shop_url_is_refused_at_start():
    result = run_manage("check", env={**PRODUCTION_ENV, "SHOP_URL": "shop.example.com/path"})
    assert result.returncode != 0
    assert "SHOP_URL must be a scheme and a host" in result.stderr


def test_the_sender_is_the_whole_shop_name_whatever_characters_it_has():
    """A comma in the name ("Smith, Jones & Co.") made the default sender two addresses, which
    the SMTP backend refused: no e-mail left the shop at all."""
    script = (
        "from django.conf import settings as s; from django.core.mail.message import "
        "sanitize_address; print(sanitize_address(s.DEFAULT_FROM_EMAIL, 'utf-8'))"
    )
    for name, sender in [
        ("Smith, Jones & Co.", '"Smith, Jones & Co." <hello@sj.example>'),
        ("Shop (Berlin)", '"Shop (Berlin)" <hello@sj.example>'),
        ("Meadow & Pine", "Meadow & Pine <hello@sj.example>"),
    ]:
        env = {**PRODUCTION_ENV, "SHOP_NAME": name, "SHOP_ADMIN_EMAIL": "hello@sj.example"}
        result = run_manage("shell", "-c", script, env=env)
        assert result.stdout.strip().splitlines()[-1] == sender, result.stderr
        # an empty DEFAULT_FROM_EMAIL (as deploy/shop.env.template leaves it) is the same
        result = run_manage("shell", "-c", script, env={**env, "DEFAULT_FROM_EMAIL": ""})
        assert result.stdout.strip().splitlines()[-1] == sender, result.stderr


def test_a_sender_that_is_not_one_address_stops_the_start():
    env = {**PRODUCTION_ENV, "DEFAULT_FROM_EMAIL": "Smith, Jones & Co. <hello@sj.example>"}
    refused = run_manage("check", env=env)
    assert refused.returncode != 0
    assert "DEFAULT_FROM_EMAIL must be one address" in refused.stderr


def test_production_settings_keep_the_promised_header_and_cookie_values():
    """What SECURITY.md promises, read from the settings as production loads them."""
    script = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SAMESITE,"
        " s.CSRF_COOKIE_SAMESITE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_REFERRER_POLICY);"
        "print(s.WHITENOISE_MAX_AGE)"
    )
    result = run_manage("shell", "-c", script, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    *_, last_line, static_max_age = result.stdout.strip().splitlines()  # (after the shell's notice)
    # static files under a plain name (not the hashed one pages use) change with a release:
    # an hour, as nginx keeps them (WhiteNoise keeps hashed names for good by itself)
    assert static_max_age == "3600"
    hsts, subdomains, session_site, csrf_site, httponly, secure, csrf_secure, referrer = (
        last_line.split(maxsplit=7)
    )
    assert int(hsts) >= 365 * 24 * 60 * 60  # one year
    assert (subdomains, session_site, csrf_site) == ("True", "Lax", "Lax")
    assert (httponly, secure, csrf_secure) == ("True", "True", "True")
    assert referrer.strip()


@pytest.mark.parametrize(
    ("switch", "expected"), [({}, "None None"), ({"DATABASE_PREPARED_STATEMENTS": "1"}, "True 5")]
)
def test_postgresql_prepared_statements_are_opt_in(switch, expected):
    """Prepared statements (bench/HISTORY.md: planning cost more than the cart's query) need
    server-side binding, which caps IN lists at 65,535 values: opt-in only."""
    env = {**PRODUCTION_ENV, "DATABASE_URL": "postgres://shop:shop@127.0.0.1:5432/shop", **switch}
    script = (
        "from django.conf import settings as s; o = s.DATABASES['default']['OPTIONS'];"
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))"
    )
    result = run_manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_delivery_countries_are_trimmed_and_one_is_required():
    script = "from django.conf import settings as s; print('|'.join(s.SHOP_DELIVERY_COUNTRIES))"
    env = {**PRODUCTION_ENV, "SHOP_DELIVERY_COUNTRIES": " Germany, Austria ,,"}
    result = run_manage("shell", "-c", script, env=env)
    assert result.stdout.strip().splitlines()[-1] == "Germany|Austria"
    refused = run_manage("check", env={**PRODUCTION_ENV, "SHOP_DELIVERY_COUNTRIES": " , "})
    assert refused.returncode != 0
    assert "SHOP_DELIVERY_COUNTRIES must name at least one country" in refused.stderr


def test_the_outbox_sweep_is_scheduled():
    from django.conf import settings

    tasks = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks["core.tasks.send_pending_mail_task"] <= 300  # pending mail waits minutes at most


def test_make_test_runs_bandit_and_ci_runs_the_audit_target():
    makefile = (ROOT / "Makefile").read_text()
    test_target = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "bandit" in test_target
    # ... and the whole suite, so the slow tests (check --deploy above, the browser journeys)
    # run in CI too: no marker or keyword deselects them, here or in pytest's own options
    deselecting = (" -m ", " -k ", "--deselect", "--ignore")
    pytest_line = next(line for line in test_target.splitlines() if "/pytest " in line)
    addopts = (ROOT / "pyproject.toml").read_text().split("addopts = ", 1)[1].split("\n", 1)[0]
    for options in (pytest_line, addopts.strip('"')):
        assert not any(word in f" {options} " for word in deselecting), options
    assert "pip-audit" in makefile.split("\naudit:", 1)[1].split("\n\n", 1)[0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make audit" in ci.split("make test", 1)[1]


def test_the_benchs_ceiling_settings_start():
    """make bench serves its ceiling with bench/ceiling_settings.py: the shop's apps without
    middleware. It stopped starting once when an import at start-up reached allauth (left out
    of its apps then), which only a bench run showed."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.core.wsgi import get_wsgi_application; get_wsgi_application()",
        ],
        cwd=ROOT,
        env={**clean, **PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "bench.ceiling_settings"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_order_numbers_start_with_the_shops_initials_unless_a_prefix_is_set():
    script = "from django.conf import settings as s; print(s.SHOP_ORDER_PREFIX)"
    named = run_manage(
        "shell",
        "-c",
        script,
        env={**PRODUCTION_ENV, "SHOP_NAME": "Alpenglow Tea & Trail", "SHOP_ORDER_PREFIX": ""},
    )
    assert named.stdout.strip().splitlines()[-1] == "ATT"
    # one letter a word, accents dropped: not "ASS" for an apostrophe, not "NO" for an Ö
    for name, prefix in (("Anna's Shop", "AS"), ("Ökoladen Süd", "OS")):
        done = run_manage(
            "shell",
            "-c",
            script,
            env={**PRODUCTION_ENV, "SHOP_NAME": name, "SHOP_ORDER_PREFIX": ""},
        )
        assert done.stdout.strip().splitlines()[-1] == prefix
    chosen = run_manage("shell", "-c", script, env={**PRODUCTION_ENV, "SHOP_ORDER_PREFIX": "ag2"})
    assert chosen.stdout.strip().splitlines()[-1] == "AG2"
    refused = run_manage("check", env={**PRODUCTION_ENV, "SHOP_ORDER_PREFIX": "A-G"})
    assert refused.returncode != 0
    assert "SHOP_ORDER_PREFIX must be 1 to 6 letters or digits" in refused.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SHOP_MONEY_FORMAT", "{symbol}", "SHOP_MONEY_FORMAT must hold {amount} once"),
        ("SHOP_MONEY_FORMAT", "{amount} {currency}", "SHOP_MONEY_FORMAT must hold {amount}"),
        ("SHOP_MONEY_SEPARATORS", ",,", "SHOP_MONEY_SEPARATORS must be the thousands"),
        ("SHOP_MONEY_SEPARATORS", ".", "SHOP_MONEY_SEPARATORS must be the thousands"),
        ("SHOP_LOGO", "https://cdn.example/logo.png", "SHOP_LOGO must be a path on this site"),
        ("SHOP_LOGO", '/media/a.png" onerror="x', "SHOP_LOGO must be a path on this site"),
        ("SHOP_SHARE_IMAGE", "http://cdn.example/s.png", "SHOP_SHARE_IMAGE must be a path"),
        ("SHOP_SHARE_IMAGE", "//cdn.example/s.png", "SHOP_SHARE_IMAGE must be a path"),
        ("SHOP_SHARE_IMAGE", '/s.png" x="', "SHOP_SHARE_IMAGE must be a path"),
    ],
)
def test_a_setting_that_cannot_be_shown_stops_the_start(name, value, message):
    refused = run_manage("check", env={**PRODUCTION_ENV, name: value})
    assert refused.returncode != 0
    assert message in refused.stderr


def test_the_shops_carriers_are_names_with_an_optional_tracking_link():
    script = "from django.conf import settings as s; print(sorted(s.SHOP_CARRIERS.items()))"
    env = {
        **PRODUCTION_ENV,
        "SHOP_CARRIERS": "Swiss Post|https://service.post.ch/track?n={}, Planzer ,",
    }
    result = run_manage("shell", "-c", script, env=env)
    assert result.stdout.strip().splitlines()[-1] == (
        "[('Planzer', ''), ('Swiss Post', 'https://service.post.ch/track?n={}')]"
    )
    for wrong in ("Swiss Post|http://post.ch/{}", "Swiss Post|https://post.ch/", "|https://x/{}"):
        refused = run_manage("check", env={**PRODUCTION_ENV, "SHOP_CARRIERS": wrong})
        assert refused.returncode != 0, wrong
        assert "SHOP_CARRIERS" in refused.stderr
