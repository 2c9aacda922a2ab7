"""Schemathesis against /api/openapi.json on a live server.

Every operation the schema documents is called with generated valid and invalid input (the
examples, coverage and fuzzing phases), as a signed-in viewer and, for reads, as staff. Every
answer must be documented: no 5xx, a declared status code, the declared content type, a body
matching the declared schema. A failure prints schemathesis' report with a curl command that
reproduces each problem; FUZZ_SEED=<seed> replays a run.
"""

import os
import random
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
EXAMPLES_PER_OPERATION = 40


def run_schemathesis(target, role: str, *options: str) -> tuple[int, str]:
    seed = os.environ.get("FUZZ_SEED") or str(random.randrange(2**32))
    argv = [
        sys.executable, "-m", "schemathesis.cli", "run", target.stack.url("/api/openapi.json"),
        "--checks", ",".join(CHECKS),
        "--header", target.cookie_header(role),
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
    result = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=600)
    return result.returncode, f"FUZZ_SEED={seed}\n{result.stdout}\n{result.stderr}"


def test_every_operation_answers_as_documented_for_a_viewer(fuzz_target):
    exit_code, report = run_schemathesis(fuzz_target, "viewer")
    assert exit_code == 0, report


def test_every_read_answers_as_documented_for_staff(fuzz_target):
    exit_code, report = run_schemathesis(fuzz_target, "staff", "--include-method", "GET")
    assert exit_code == 0, report
