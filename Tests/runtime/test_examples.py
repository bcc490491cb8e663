"""The examples under examples/ run on the runtime and do what their comments say."""

import json
import os
import subprocess

import pytest

from runtime_harness import REPO, Runtime, parse

EXAMPLES = REPO / "examples"


@pytest.fixture
def runtime():
    started = []

    def start(name):
        rt = Runtime(EXAMPLES / name, "app.handler")
        started.append(rt)
        return rt.ready()

    yield start
    for rt in started:
        rt.kill()


def manifest(name):
    # Python 3.11 reads TOML; the manifests are the few keys the host needs.
    import tomllib
    with open(EXAMPLES / name / "fnbox.toml", "rb") as f:
        return tomllib.load(f)


def test_manifests():
    assert manifest("hello") == {"name": "hello", "runtime": "python3", "handler": "app.handler"}
    assert manifest("context") == {"name": "context", "runtime": "python3", "handler": "app.handler"}
    assert manifest("exec-echo") == {"name": "exec-echo", "runtime": "exec", "handler": "bootstrap"}


def test_hello(runtime):
    rt = runtime("hello")
    assert rt.invoke({"name": "fnbox"}) == ("S", b'{"message": "Hello, fnbox!"}')
    assert rt.invoke({}) == ("S", b'{"message": "Hello, world!"}')
    assert rt.drain()[0] == "saying hello to fnbox\nsaying hello to world\n"


def test_context_counts_warm_invocations(runtime):
    rt = runtime("context")
    first = parse(rt.invoke({"a": 1}, request_id="one", trace_id="Root=1-abc")[1])
    second = parse(rt.invoke({"b": 2}, request_id="two")[1])
    assert (first["invocations"], second["invocations"]) == (1, 2)
    assert first["event"] == {"a": 1}
    assert first["context"]["aws_request_id"] == "one"
    assert first["context"]["memory_limit_in_mb"] == "256"
    assert first["context"]["identity"] == {"cognito_identity_id": None, "cognito_identity_pool_id": None}
    assert 0 < first["context"]["remaining_time_in_millis"] <= 60_000
    assert first["env"]["_X_AMZN_TRACE_ID"] == "Root=1-abc"
    assert second["env"]["_X_AMZN_TRACE_ID"] is None
    assert first["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "test-fn"
    assert first["process"]["cwd"] == str(EXAMPLES / "context")


def test_exec_echo():
    script = EXAMPLES / "exec-echo" / "bootstrap"
    assert os.access(script, os.X_OK)
    event = {"hello": ["w", "o", "r", "l", "d"], "n": 1}
    done = subprocess.run([str(script)], input=json.dumps(event).encode(), capture_output=True, timeout=10,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"echo": event}
    assert done.stderr.decode().startswith("exec-echo: received ")
