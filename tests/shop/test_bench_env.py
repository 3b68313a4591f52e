"""make bench runs the shop with production settings on loopback, its pictures in a MEDIA_ROOT
of its own: never in the media bucket of a shop whose settings are in the environment."""

import types

from bench.run import production_env


def test_the_bench_keeps_its_pictures_on_disk_with_a_bucket_in_the_environment(monkeypatch):
    for name, value in {
        "MEDIA_S3_BUCKET": "shop-media",
        "MEDIA_S3_ENDPOINT_URL": "https://fsn1.your-objectstorage.com",
        "MEDIA_S3_ACCESS_KEY_ID": "key",
        "MEDIA_S3_SECRET_ACCESS_KEY": "secret",
        "MEDIA_URL": "https://cdn.example.com/media/",
    }.items():
        monkeypatch.setenv(name, value)
    cfg = types.SimpleNamespace(
        database_url="postgres://shop:shop@127.0.0.1:5432/shop_bench",
        redis_url="redis://127.0.0.1:6379/13",
        media_root="/tmp/benchmedia",  # noqa: S108
        pgoptions="",
    )
    env = production_env(cfg, "/tmp/benchstatic")  # noqa: S108
    assert env["MEDIA_ROOT"] == "/tmp/benchmedia"  # noqa: S108
    assert not [name for name in env if name.startswith("MEDIA_S3_")]
    assert "MEDIA_URL" not in env  # pictures at the bench's own /media/
