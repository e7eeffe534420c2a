"""environment.yml and pyproject.toml must declare the same dependencies with the same pins."""

from __future__ import annotations

import tomllib

import yaml

from tests.harness import ROOT


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set(project["dependencies"]) | {
        dep for extra in project["optional-dependencies"].values() for dep in extra
    }
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    conda_python = [d for d in environment["dependencies"] if isinstance(d, str)]
    assert {d for d in pip_section if not d.startswith("-e")} == declared
    assert "-e ." in pip_section
    assert "python=3.11" in conda_python and project["requires-python"] == ">=3.11,<3.12"
