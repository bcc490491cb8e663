"""The host side of the fnbox runtime protocol, for tests: start bootstrap.py as the host does and speak frames."""

import json
import os
import re
import select
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNTIME_DIR = REPO / "rootfs" / "var" / "runtime"
BOOTSTRAP = RUNTIME_DIR / "bootstrap.py"
PYTHON = "/usr/bin/python3"
FLAGS = ["-B", "-S", "-u"]
TIMEOUT = 15

LOG_LINE = re.compile(r"^\[(\w+)\]\t(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z\t([^\t]*)\t(.*)$")


class Runtime:
    """One bootstrap process and the host end of its channel."""

    def __init__(self, task_root, handler="app.handler", env=None, fd=3):
        self.sock, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        environment = {
            "AWS_LAMBDA_FUNCTION_NAME": "test-fn",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/test-fn",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(RUNTIME_DIR),
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin/:/bin",
            "LD_LIBRARY_PATH": "/usr/lib",
            "PYTHONPATH": str(RUNTIME_DIR),
            "FNBOX_RUNTIME_FD": str(fd),
        }
        environment.update(env or {})
        child_fd = child.fileno()

        def put_channel():
            # dup2 leaves the copy inheritable, as the host's is; the original is close-on-exec.
            os.dup2(child_fd, fd)

        self.proc = subprocess.Popen(
            [PYTHON, *FLAGS, str(BOOTSTRAP)],
            cwd=task_root,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            close_fds=False,
            preexec_fn=put_channel,
        )
        child.close()
        self._stdout = b""
        self._stderr = b""

    def recv(self):
        """(type, body) of the next frame, or None at EOF."""
        head = self._read(4)
        if head is None:
            return None
        n = int.from_bytes(head, "big")
        frame = self._read(n)
        assert frame is not None, "EOF inside a frame"
        return chr(frame[0]), frame[1:]

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                assert data == b"", "EOF inside a frame"
                return None
            data += chunk
        return data

    def send(self, kind, body=b""):
        self.sock.sendall((len(body) + 1).to_bytes(4, "big") + kind.encode() + body)

    def invoke(self, event, request_id="req-1", deadline_ms=None, raw=False, **extra):
        header = {
            "request_id": request_id,
            "deadline_ms": deadline_ms if deadline_ms is not None else int(time.time() * 1000) + 60_000,
            "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:test-fn",
            "client_context": None,
            "identity": None,
            "trace_id": None,
        }
        header.update(extra)
        body = event if raw else json.dumps(event).encode()
        self.send("I", json.dumps(header).encode() + b"\n" + body)
        return self.recv()

    def ready(self):
        frame = self.recv()
        assert frame == ("R", b""), (frame, self.finish())
        return self

    def drain(self):
        """What the process wrote to stdout and stderr so far, without waiting for more."""
        for name in ("stdout", "stderr"):
            pipe = getattr(self.proc, name)
            while select.select([pipe], [], [], 0)[0]:
                chunk = os.read(pipe.fileno(), 65536)
                if not chunk:
                    break
                setattr(self, "_" + name, getattr(self, "_" + name) + chunk)
        return self._stdout.decode(), self._stderr.decode()

    def finish(self, close=True):
        """Close the channel (unless the process is expected to exit by itself); (exit code, stdout, stderr)."""
        if close:
            self.sock.close()
        try:
            out, err = self.proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError("runtime did not exit: %r %r" % (out, err))
        self._stdout += out
        self._stderr += err
        return self.proc.returncode, self._stdout.decode(), self._stderr.decode()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
        self.sock.close()


def parse(body):
    return json.loads(body.decode())
