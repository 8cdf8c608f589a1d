"""requirements/dev.lock pins what pyproject.toml asks for.

CI and contributors install from the lock alone (without resolving), so a dependency added to
pyproject.toml, or a range moved past the pinned version, must fail here rather than go
unnoticed until a fresh install.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def declared_requirements(pyproject: dict[str, object]) -> list[Requirement]:
    project = pyproject["project"]
    build = pyproject["build-system"]
    assert isinstance(project, dict)
    assert isinstance(build, dict)
    texts: list[str] = [*project["dependencies"], *build["requires"]]
    for extra in project.get("optional-dependencies", {}).values():
        texts.extend(extra)
    return [Requirement(text) for text in texts]


def locked_versions(lock_text: str) -> dict[str, Version]:
    return {canonicalize_name(name): Version(version) for name, version in PIN.findall(lock_text)}


def disagreements(requirements: list[Requirement], locked: dict[str, Version]) -> list[str]:
    problems = []
    for requirement in requirements:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        version = locked.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(
                f"{requirement} does not admit the locked {requirement.name}=={version}"
            )
    return problems


def test_the_lock_pins_every_declared_dependency_within_its_range() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    locked = locked_versions((ROOT / "requirements" / "dev.lock").read_text(encoding="utf-8"))
    problems = disagreements(declared_requirements(pyproject), locked)
    assert not problems, (
        "pyproject.toml and requirements/dev.lock disagree; run bash scripts/lock.sh and commit"
        " the lock:\n" + "\n".join(problems)
    )


def test_every_pin_in_the_lock_carries_a_hash() -> None:
    lock_text = (ROOT / "requirements" / "dev.lock").read_text(encoding="utf-8")
    pins = list(PIN.finditer(lock_text))
    assert len(pins) > 20
    ends = [pin.start() for pin in pins[1:]] + [len(lock_text)]
    unhashed = [
        pin.group(1)
        for pin, end in zip(pins, ends, strict=True)
        if "--hash=sha256:" not in lock_text[pin.end() : end]
    ]
    assert not unhashed


@pytest.mark.parametrize(
    ("declared", "lock", "complaint"),
    [
        (["click>=8.4"], "attrs==24.2.0 \\\n", "click>=8.4 is not in the lock"),
        (["click>=9"], "click==8.5.1 \\\n", "does not admit the locked click==8.5.1"),
    ],
)
def test_a_dependency_the_lock_lacks_or_excludes_is_named(
    declared: list[str], lock: str, complaint: str
) -> None:
    problems = disagreements([Requirement(text) for text in declared], locked_versions(lock))
    assert len(problems) == 1
    assert complaint in problems[0]


def test_names_are_compared_in_their_canonical_form() -> None:
    requirements = [Requirement("SQLAlchemy[asyncio]>=2.0.30"), Requirement("lxml_stubs>=0.5")]
    lock = "sqlalchemy==2.1.9 \\\nlxml-stubs==0.5.1 \\\n"
    assert disagreements(requirements, locked_versions(lock)) == []
