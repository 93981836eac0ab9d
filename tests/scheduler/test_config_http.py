"""``[http]`` and ``[feeds.http]`` are derived from the client's HttpSettings: one declaration
of every limit, so the config, its checks and the client cannot disagree."""

from __future__ import annotations

import dataclasses

import pytest

from connectors.http import HttpSettings
from connectors.http_settings import MiB, config_fields
from scheduler.config import ConfigError, FeedHttpConfig, HttpConfig, parse_config


def test_every_client_setting_is_a_config_key_in_declaration_order() -> None:
    keys = [setting.key or name for name, setting, _default in config_fields()]
    assert keys == list(HttpConfig.model_fields) == list(FeedHttpConfig.model_fields)
    assert len(keys) == len(dataclasses.fields(HttpSettings))
    assert "max_response_mb" in keys and "max_response_bytes" not in keys


def test_the_config_defaults_are_the_clients() -> None:
    assert HttpConfig().settings() == HttpSettings()
    assert HttpConfig().max_response_mb == 50.0
    assert all(info.default is None for info in FeedHttpConfig.model_fields.values())


def test_a_feed_override_changes_only_its_keys() -> None:
    merged = HttpConfig(read_timeout=20).merged(FeedHttpConfig(max_response_mb=2))
    assert merged.settings() == HttpSettings(read_timeout=20.0, max_response_bytes=2 * MiB)
    assert HttpConfig().merged(None).settings() == HttpSettings()


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        pytest.param("connect_timeout", 0, "greater than 0", id="gt"),
        pytest.param("backoff_max", -1, "greater than or equal to 0", id="ge"),
        pytest.param("max_redirects", 21, "less than or equal to 20", id="le"),
    ],
)
def test_the_bounds_are_the_settings_bounds(key: str, value: float, reason: str) -> None:
    setting = next(s for name, s, _ in config_fields() if name == key)
    assert setting.doc  # every limit says what it is
    with pytest.raises(ConfigError) as caught:
        parse_config({"http": {key: value}}, env={})
    assert caught.value.errors == [f"http.{key}: Input should be {reason}"]
