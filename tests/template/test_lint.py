"""template.yaml passes the checks a deploy would otherwise fail on, or a reviewer would flag: the SAM transform
succeeds and leaves no circular dependency (CloudFormation refuses one only at deploy time), cfn-lint is clean on the
template and on what SAM makes of it, and checkov finds nothing but what .checkov.yaml lists with a reason."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.template import cfn
from tests.template.tools import CHECKOV, SAM_PYTHON, installed

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
CHECKOV_CONFIG = cfn.ROOT / ".checkov.yaml"
# What `sam deploy` does to the template before CloudFormation sees it (local CodeUris become S3 locations).
TRANSFORM = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

template = yaml_parse(open(sys.argv[1]).read())
for resource in template["Resources"].values():
    for key in ("CodeUri", "ContentUri"):
        if key in resource.get("Properties", {}):
            resource["Properties"][key] = "s3://bucket/key"
print(json.dumps(transform(template, {}, NoManagedPolicies())))
"""


@pytest.fixture(scope="module")
def transformed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    python = installed(SAM_PYTHON)
    done = subprocess.run(
        [python, "-c", TRANSFORM, cfn.TEMPLATE],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"AWS_DEFAULT_REGION": cfn.REGION},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    path = tmp_path_factory.mktemp("sam") / "transformed.json"
    path.write_text(done.stdout, encoding="utf-8")
    return path


def _cfn_lint(path: Path) -> str:
    done = subprocess.run([CFN_LINT, path], capture_output=True, text=True, check=False, timeout=120)
    return done.stdout + done.stderr if done.returncode else ""


def test_cfn_lint_is_clean_on_the_template() -> None:
    assert _cfn_lint(cfn.TEMPLATE) == ""


def test_cfn_lint_is_clean_on_what_sam_makes_of_it(transformed: Path) -> None:
    assert _cfn_lint(transformed) == ""


def _references(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
                if not isinstance(value, str):
                    found |= _references(value[1])
            else:
                found |= _references(value)
    return found


def test_the_deployed_template_has_no_circular_dependency(transformed: Path) -> None:
    resources = json.loads(transformed.read_text(encoding="utf-8"))["Resources"]
    needs = {
        name: (_references(body) | set(cfn.as_list(body.get("DependsOn", [])))) & set(resources)
        for name, body in resources.items()
    }
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, "circular dependency: " + " -> ".join((*path, name))
        if name not in done:
            for needed in needs[name]:
                visit(needed, (*path, name))
            done.add(name)

    for name in needs:
        visit(name, ())


def test_sam_puts_the_iam_authorizer_on_every_admin_route_and_on_no_other(transformed: Path) -> None:
    api = json.loads(transformed.read_text(encoding="utf-8"))["Resources"]["ChatApi"]["Properties"]["Body"]
    for path, methods in api["paths"].items():
        for method, operation in methods.items():
            expected: list[dict[str, list[str]]] | None = [{"AWS_IAM": []}] if path.startswith("/v1/admin/") else None
            assert operation.get("security") == expected, (method, path)


def test_checkov_finds_nothing_but_the_listed_exceptions() -> None:
    checkov = installed(CHECKOV)
    done = subprocess.run(
        [checkov, "--config-file", CHECKOV_CONFIG, "-f", cfn.TEMPLATE, "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=cfn.ROOT,
    )
    report = json.loads(done.stdout)
    failed = [(c["check_id"], c["resource"], c["check_name"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] == len(cfn.resources())
    assert done.returncode == 0


def test_every_check_checkov_is_told_to_skip_has_its_reason_written_above_it() -> None:
    lines = CHECKOV_CONFIG.read_text(encoding="utf-8").splitlines()
    skipped = yaml.safe_load("\n".join(lines))["skip-check"]
    assert skipped, "nothing skipped: then drop the list"
    for check in skipped:
        [at] = [i for i, line in enumerate(lines) if line.strip() == f"- {check}"]
        reason = []
        for line in reversed(lines[:at]):
            if not line.strip().startswith("#"):
                break
            reason.append(line)
        assert len(" ".join(reason)) > 60, f"{check} is skipped without a reason"
