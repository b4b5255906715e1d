import pytest

from dedup.config import Config
from dedup.errors import ConfigError


def test_defaults_are_valid_and_round_trip():
    config = Config()
    assert Config.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("field,value", [("shingle_size", 0), ("num_perm", 1), ("threshold", 0.0), ("threshold", 1.2),
                                         ("min_shingles", 0), ("lsh_bands", 0),
                                         ("tokens", "bytes"), ("passage_span", 24), ("passage_keys", -1),
                                         ("max_passage_bucket", 1)])
def test_bad_values_raise_config_error_naming_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        Config(**{field: value})


def test_bands_times_rows_cannot_exceed_permutations():
    with pytest.raises(ConfigError, match="exceeds num_perm"):
        Config(num_perm=64, lsh_bands=42, lsh_rows=3)


def test_hashing_differences_name_what_differs():
    diffs = Config().hashing_differences(Config(shingle_size=4))
    assert diffs == ["shingle_size: 5 != 4"]
    assert Config().hashing_differences(Config(threshold=0.7)) == []


def test_unknown_fields_are_refused():
    with pytest.raises(ConfigError, match="unknown"):
        Config.from_dict({"shingle_sise": 5})


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        Config().shingle_size = 3  # type: ignore[misc]
