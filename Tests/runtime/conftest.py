import textwrap

import pytest

from runtime_harness import Runtime


@pytest.fixture
def task(tmp_path):
    """A task root; task.write(name, source) adds a file, task.start(...) starts the runtime on it."""
    started = []

    class Task:
        root = tmp_path

        def write(self, name, source):
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))
            return path

        def start(self, handler="app.handler", env=None, fd=3):
            runtime = Runtime(tmp_path, handler, env, fd)
            started.append(runtime)
            return runtime

    yield Task()
    for runtime in started:
        runtime.kill()
