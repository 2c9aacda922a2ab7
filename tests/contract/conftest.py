"""Contract fuzzing runs against Videoflix as real processes (tests/live_server.py)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.live_server import LiveStack

MINT_ACCESS_TOKENS = """
from accounts.models import User
from ninja_jwt.tokens import AccessToken
import json
tokens = {}
for role, is_staff in (("viewer", False), ("staff", True)):
    user = User.objects.create_user(
        email=f"fuzz-{role}@example.com", password="fuzz-correct-horse-9", is_active=True,
        is_staff=is_staff,
    )
    tokens[role] = str(AccessToken.for_user(user))
print(json.dumps(tokens))
"""


@dataclass
class FuzzTarget:
    stack: LiveStack
    access_tokens: dict[str, str]  # role ("viewer", "staff") -> access token

    def cookie_header(self, role: str) -> str:
        return f"Cookie: access_token={self.access_tokens[role]}"


@pytest.fixture(scope="session")
def fuzz_target(tmp_path_factory) -> Iterator[FuzzTarget]:
    stack = LiveStack(tmp_path_factory.mktemp("contract"), name="contract")
    try:
        stack.install()
        tokens = json.loads(stack.shell(MINT_ACCESS_TOKENS).strip().splitlines()[-1])
        stack.start_web()
        yield FuzzTarget(stack=stack, access_tokens=tokens)
    finally:
        stack.close()
