"""samconfig.toml deploys each stage without a prompt, as its own stack, with parameters the template accepts: a
value CloudFormation would refuse, or a stage that shares another's secrets or stack, fails here and not halfway
through `make deploy`."""

from __future__ import annotations

import re
import shlex
import tomllib
from typing import Any

import pytest

from tests.template import cfn

CONFIG = tomllib.loads((cfn.ROOT / "samconfig.toml").read_text(encoding="utf-8"))
ENVIRONMENTS = {"default": "dev", "prod": "prod"}


def _overrides(env: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in CONFIG[env]["deploy"]["parameters"]["parameter_overrides"]:
        # The SAM CLI refuses `Key=` (empty): an empty value must be written `Key=""`.
        match = re.fullmatch(r"(\w+)=(.+)", item)
        assert match, f"{env}: {item!r} is not Key=Value"
        [value] = shlex.split(match.group(2)) or [""]
        found[match.group(1)] = value
    return found


def test_there_is_a_dev_and_a_prod_environment_and_nothing_asks_for_confirmation() -> None:
    assert set(CONFIG) - {"version"} == set(ENVIRONMENTS)
    for env in ENVIRONMENTS:
        deploy = CONFIG[env]["deploy"]["parameters"]
        assert deploy["confirm_changeset"] is False
        assert deploy["fail_on_empty_changeset"] is False  # deploying again without a change is not a failure
        assert deploy["resolve_s3"] is True
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert CONFIG[env]["build"]["parameters"]["cached"] is True


@pytest.mark.parametrize(("env", "stage"), ENVIRONMENTS.items())
def test_each_environment_sets_only_parameters_the_template_has_with_values_it_accepts(env: str, stage: str) -> None:
    parameters: dict[str, Any] = cfn.template()["Parameters"]
    overrides = _overrides(env)
    assert overrides["Stage"] == stage
    for name, value in overrides.items():
        assert name in parameters, f"{env}: no parameter {name}"
        spec = parameters[name]
        if "AllowedValues" in spec:
            assert value in spec["AllowedValues"], (env, name, value)
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), (env, name, value)


def test_the_stages_are_separate_stacks_with_separate_secrets_and_prod_tables_are_protected() -> None:
    stacks = {CONFIG[env]["global"]["parameters"]["stack_name"] for env in ENVIRONMENTS}
    assert len(stacks) == len(ENVIRONMENTS)
    secrets = [{v for k, v in _overrides(env).items() if k.endswith(("Param", "Prefix"))} for env in ENVIRONMENTS]
    assert not set.intersection(*secrets) - {""}
    prefixes = [_overrides(env)["TenantSecretsPrefix"] for env in ENVIRONMENTS]
    assert not any(a != b and b.startswith(a + "/") for a in prefixes for b in prefixes)
    assert _overrides("prod")["TableDeletionProtection"] == "true"
