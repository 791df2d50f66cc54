"""The builders' pure JavaScript modules, run in Node for their tests.

A harness script (`*_harness.mjs` beside the tests) reads one JSON request per line and
answers one JSON line; `NodeHarness` keeps it running for a test module. Node 20 is at
/usr/bin/node on the machines the tests run on.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE = "/usr/bin/node"


class NodeHarness:
    """A harness script as a long-running process: one request line in, one answer line out."""

    def __init__(self, script: Path) -> None:
        node = shutil.which("node") or NODE
        if not Path(node).exists():
            pytest.fail(f"node is missing ({NODE}): the builders' tests need Node 20")
        self.process = subprocess.Popen(
            [node, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def send(self, request: dict[str, Any]) -> dict[str, Any]:
        """The answer to one request (a crash in the script fails the test with its stack)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")  # ASCII: \u escapes for the rest
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        assert "crash" not in answer, answer.get("crash")
        return answer

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.process.stdout.close()


def check_round_trip(answer: dict[str, Any], parts: dict[str, str]) -> None:
    """Reading and writing back kept the text, refusals changed nothing, undo restored all."""
    assert answer["read"] == parts, "read → write back changed the text"
    for step in answer["steps"]:
        if "refused" in step:
            assert step["unchanged"], f"a refused action changed the document: {step}"
    assert answer["restored"] == parts, "undoing every action did not restore the text"
