"""Schemathesis against /api/openapi.json on a live server, once per storage mode (local, s3).

Every operation the schema documents is called with generated valid and invalid input (the
examples, coverage and fuzzing phases), as a signed-in viewer (a browser's cookies and CSRF
header, so writes reach the code behind the CSRF check) and, for reads, as staff; half
the reads aim at a real ready film (tests/contract/hooks.py). Every
answer must be documented: no 5xx, a declared status code, the declared content type, a body
matching the declared schema. A failure prints schemathesis' report with a curl command that
reproduces each problem; FUZZ_SEED=<seed> replays a run.
"""

import os
import random
import subprocess
import sys

import pytest
import schemathesis
from schemathesis.core.result import Ok

from tests.support import ROOT

pytestmark = pytest.mark.slow

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
EXAMPLES_PER_OPERATION = 40
# The routes without jwt_auth carry these tags; every other tag is a private route.
PUBLIC = ("--include-tag", "auth", "--include-tag", "health")
PRIVATE = ("--exclude-tag", "auth", "--exclude-tag", "health")


def run_schemathesis(target, role: str, *options: str) -> tuple[int, str]:
    seed = os.environ.get("FUZZ_SEED") or str(random.randrange(2**32))
    argv = [
        sys.executable, "-m", "schemathesis.cli", "run", target.stack.url("/api/openapi.json"),
        "--checks", ",".join(CHECKS),
        *(option for header in target.headers(role) for option in ("--header", header)),
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(EXAMPLES_PER_OPERATION),
        "--seed", seed,
        "--generation-database", "none",
        "--request-timeout", "10",
        "--no-color",
        *options,
    ]  # fmt: skip
    # Its working folder takes schemathesis' crash cache, out of the checkout.
    workdir = target.stack.workdir / "schemathesis"
    workdir.mkdir(exist_ok=True)
    hooks = {
        "SCHEMATHESIS_HOOKS": "tests.contract.hooks",
        "PYTHONPATH": str(ROOT),
        "FUZZ_FILM_ID": str(target.film["id"]),
        "FUZZ_FILM_RUNG": target.film["renditions"][0],
    }
    result = subprocess.run(
        argv,
        cwd=workdir,
        env={**os.environ, **hooks},
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.returncode, f"FUZZ_SEED={seed}\n{result.stdout}\n{result.stderr}"


def test_the_openapi_document_is_valid(fuzz_target):
    """Every operation loads, so tools (schemathesis, /api/docs, client generators) can use it."""
    schema = schemathesis.openapi.from_url(fuzz_target.stack.url("/api/openapi.json"))
    problems = [
        str(result.err()) for result in schema.get_all_operations() if not isinstance(result, Ok)
    ]
    assert problems == []


def test_public_routes_answer_as_documented(fuzz_target):
    # With a viewer's cookie: a cookie must never turn a public route into something else.
    exit_code, report = run_schemathesis(fuzz_target, "viewer", *PUBLIC)
    assert exit_code == 0, report


def test_private_routes_answer_as_documented_for_a_viewer(fuzz_target):
    exit_code, report = run_schemathesis(fuzz_target, "viewer", *PRIVATE)
    assert exit_code == 0, report


def test_private_reads_answer_as_documented_for_staff(fuzz_target):
    exit_code, report = run_schemathesis(fuzz_target, "staff", *PRIVATE, "--include-method", "GET")
    assert exit_code == 0, report
