"""Tests of rootfs/var/runtime/bootstrap.py, driven over the fnbox frame protocol (PROTOCOL.md).

Each test writes a function into a temporary task root, starts the bootstrap the way the host does
(/usr/bin/python3 -B -S -u, the channel on fd 3, only the host's environment) and speaks frames to it.
The expected strings come from LAMBDA.md section 5 (real Lambda / awslambdaric behaviour).

Run: /usr/bin/python3 -m pytest Tests/runtime
"""

import json
import re
import time

import pytest

from runtime_harness import LOG_LINE, parse


# ---------------------------------------------------------------------------------------------
# Init and the invoke loop


def test_ready_then_result_then_clean_exit_on_eof(task):
    task.write("app.py", """
        def handler(event, context):
            return {"message": "Hello, %s!" % event.get("name", "world")}
    """)
    rt = task.start().ready()
    assert rt.invoke({"name": "fnbox"}) == ("S", b'{"message": "Hello, fnbox!"}')
    code, out, err = rt.finish()
    assert code == 0
    assert err == ""


def test_warm_invocations_share_module_state(task):
    task.write("app.py", """
        count = 0
        def handler(event, context):
            global count
            count += 1
            return count
    """)
    rt = task.start().ready()
    assert rt.invoke({}, request_id="a") == ("S", b"1")
    assert rt.invoke({}, request_id="b") == ("S", b"2")
    assert rt.invoke({}, request_id="c") == ("S", b"3")
    assert rt.finish()[0] == 0


def test_eof_exits_zero_even_with_a_thread_left_running(task):
    task.write("app.py", """
        import threading, time
        threading.Thread(target=time.sleep, args=(3600,)).start()  # not a daemon
        def handler(event, context):
            return None
    """)
    rt = task.start().ready()
    assert rt.finish()[0] == 0


def test_event_and_context_fields(task):
    task.write("app.py", """
        import os
        def handler(event, context):
            cc = context.client_context
            return {
                "event": event,
                "aws_request_id": context.aws_request_id,
                "function_name": context.function_name,
                "function_version": context.function_version,
                "invoked_function_arn": context.invoked_function_arn,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "log_group_name": context.log_group_name,
                "log_stream_name": context.log_stream_name,
                "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
                "client_context": None if cc is None else {
                    "custom": cc.custom, "env": cc.env,
                    "client": None if cc.client is None else [cc.client.installation_id, cc.client.app_title,
                        cc.client.app_version_name, cc.client.app_version_code, cc.client.app_package_name],
                },
                "remaining": context.get_remaining_time_in_millis(),
                "trace": os.environ.get("_X_AMZN_TRACE_ID"),
                "fd_var": os.environ.get("FNBOX_RUNTIME_FD"),
                "tz": os.environ.get("TZ"),
            }
    """)
    rt = task.start().ready()
    deadline = int(time.time() * 1000) + 30_000
    kind, body = rt.invoke(
        {"k": [1, 2.5, "é", None, True]},
        request_id="8f5ac5d4-5c5b-4b8e-9a62-7a0e7c1c3b5e",
        deadline_ms=deadline,
        invoked_function_arn="arn:aws:lambda:us-east-1:000000000000:function:test-fn:prod",
        identity={"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"},
        client_context={"custom": {"a": "b"}, "env": {"platform": "x"},
                        "client": {"installation_id": "i", "app_title": "t", "app_version_name": "n",
                                   "app_version_code": "c", "app_package_name": "p"}},
        trace_id="Root=1-5e1b4151-5ac6c58f5c1a2f0b8c3f9a2e;Parent=1;Sampled=0",
    )
    assert kind == "S"
    result = parse(body)
    assert result.pop("event") == {"k": [1, 2.5, "é", None, True]}
    assert 0 < result.pop("remaining") <= 30_000
    assert result == {
        "aws_request_id": "8f5ac5d4-5c5b-4b8e-9a62-7a0e7c1c3b5e",
        "function_name": "test-fn",
        "function_version": "$LATEST",
        "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:test-fn:prod",
        "memory_limit_in_mb": "256",
        "log_group_name": "/aws/lambda/test-fn",
        "log_stream_name": "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "identity": ["id-1", "pool-1"],
        "client_context": {"custom": {"a": "b"}, "env": {"platform": "x"}, "client": ["i", "t", "n", "c", "p"]},
        "trace": "Root=1-5e1b4151-5ac6c58f5c1a2f0b8c3f9a2e;Parent=1;Sampled=0",
        "fd_var": None,
        "tz": ":UTC",
    }

    # Without identity, client context or trace id: an identity object of Nones, no client context,
    # and the previous invocation's trace id is gone.
    kind, body = rt.invoke({}, request_id="second", deadline_ms=int(time.time() * 1000) - 5)
    result = parse(body)
    assert result["identity"] == [None, None]
    assert result["client_context"] is None
    assert result["trace"] is None
    assert result["remaining"] == 0
    assert result["aws_request_id"] == "second"


def test_handler_path_with_slashes_and_packages(task):
    task.write("pkg/__init__.py", "")
    task.write("pkg/sub/mod.py", """
        def handle(event, context):
            return __name__
    """)
    rt = task.start("pkg/sub/mod.handle").ready()
    assert rt.invoke({}) == ("S", b'"pkg.sub.mod"')


def test_sys_path_and_builtins(task):
    task.write("app.py", """
        import sys
        def handler(event, context):
            return {"path0": sys.path[0], "dist": [p for p in sys.path if "-packages" in p],
                    "exit": callable(exit), "dup": len(sys.path) - len(set(sys.path))}
    """)
    rt = task.start().ready()
    result = parse(rt.invoke({})[1])
    assert result == {"path0": str(task.root), "dist": [], "exit": True, "dup": 0}


def test_channel_is_not_inherited_by_child_processes(task):
    task.write("app.py", """
        import os, subprocess, sys
        def handler(event, context):
            probe = "import os\\ntry:\\n os.fstat(3)\\n print('open')\\nexcept OSError:\\n print('closed')"
            child = subprocess.run([sys.executable, "-c", probe], close_fds=False, capture_output=True, text=True)
            return {"child": child.stdout.strip(), "inheritable": os.get_inheritable(3)}
    """)
    rt = task.start().ready()
    assert parse(rt.invoke({})[1]) == {"child": "closed", "inheritable": False}


def test_runtime_fd_number_comes_from_the_environment(task):
    task.write("app.py", "def handler(event, context):\n    return 'ok'\n")
    rt = task.start(fd=7).ready()
    assert rt.invoke({}) == ("S", b'"ok"')


def test_large_event_round_trip(task):
    task.write("app.py", "def handler(event, context):\n    return event\n")
    rt = task.start().ready()
    event = {"blob": "x" * (3 * 1024 * 1024), "n": list(range(1000))}
    kind, body = rt.invoke(event)
    assert kind == "S"
    assert parse(body) == event


# ---------------------------------------------------------------------------------------------
# Handler errors


def test_handler_exception_payload_and_log(task):
    task.write("app.py", """
        def handler(event, context):
            raise Exception("Handler fails")
    """)
    rt = task.start().ready()
    kind, body = rt.invoke({}, request_id="req-err")
    assert kind == "F"
    error = parse(body)
    assert error == {
        "errorMessage": "Handler fails",
        "errorType": "Exception",
        "requestId": "req-err",
        "stackTrace": ['  File "%s/app.py", line 3, in handler\n    raise Exception("Handler fails")\n' % task.root],
    }
    out, err = rt.drain()
    assert out == (
        "[ERROR] Exception: Handler fails\n"
        "Traceback (most recent call last):\n"
        '\u00a0\u00a0File "%s/app.py", line 3, in handler\n'
        '\u00a0\u00a0\u00a0\u00a0raise Exception("Handler fails")\n' % task.root
    )
    # The instance stays warm after a function error.
    assert rt.invoke({})[0] == "F"
    assert rt.finish()[0] == 0


def test_handler_exception_class_name_and_nested_frames(task):
    task.write("helpers.py", """
        class CustomException(Exception):
            pass
        def fail(n):
            raise CustomException("some error occurred %d" % n)
    """)
    task.write("app.py", """
        import helpers
        def handler(event, context):
            helpers.fail(7)
    """)
    rt = task.start().ready()
    error = parse(rt.invoke({})[1])
    assert error["errorType"] == "CustomException"
    assert error["errorMessage"] == "some error occurred 7"
    assert [line.split("\n")[0] for line in error["stackTrace"]] == [
        '  File "%s/app.py", line 4, in handler' % task.root,
        '  File "%s/helpers.py", line 5, in fail' % task.root,
    ]
    assert not any("bootstrap.py" in line for line in error["stackTrace"])


def test_non_ascii_error_message_is_escaped_like_python311_lambda(task):
    task.write("app.py", """
        def handler(event, context):
            raise ValueError("héllo")
    """)
    rt = task.start().ready()
    kind, body = rt.invoke({})
    assert kind == "F"
    assert b'"errorMessage": "h\\u00e9llo"' in body


def test_sys_exit_in_handler_ends_the_process(task):
    task.write("app.py", """
        import sys
        def handler(event, context):
            print("leaving")
            sys.exit(3)
    """)
    rt = task.start().ready()
    assert rt.invoke({}) is None  # no frame: the host reports Runtime.ExitError
    code, out, _ = rt.finish(close=False)
    assert code == 3
    assert out == "leaving\n"


def test_sys_exit_at_import_ends_the_process(task):
    task.write("app.py", "import sys\nsys.exit(0)\n")
    rt = task.start()
    assert rt.recv() is None
    assert rt.finish(close=False)[0] == 0


# ---------------------------------------------------------------------------------------------
# Init errors: E frame, logged, exit 1


def init_error(task, handler="app.handler"):
    rt = task.start(handler)
    kind, body = rt.recv()
    assert kind == "E"
    code, out, err = rt.finish(close=False)
    assert code == 1
    assert err == ""
    return parse(body), out


def assert_init_warning(out):
    first = out.split("\n")[0]
    match = LOG_LINE.match(first)
    assert match, first
    assert match.group(1) == "WARNING"
    assert match.group(3) == ""
    assert match.group(4).startswith("LAMBDA_WARNING: Unhandled exception. The most likely cause")


def test_import_error_missing_module(task):
    error, out = init_error(task)
    assert error == {
        "errorMessage": "Unable to import module 'app': No module named 'app'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }
    assert_init_warning(out)
    assert out.split("\n", 1)[1] == (
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'app'\n"
        "Traceback (most recent call last):\n"
    )


def test_import_error_inside_the_module(task):
    task.write("app.py", "import requests_not_installed\n")
    error, _ = init_error(task)
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"] == "Unable to import module 'app': No module named 'requests_not_installed'"


def test_host_dist_packages_are_not_importable(task):
    # pytest is installed in the host's dist-packages (we are running under it); functions must not see it.
    task.write("app.py", "import pytest\n")
    error, _ = init_error(task)
    assert error["errorMessage"] == "Unable to import module 'app': No module named 'pytest'"


def test_syntax_error(task):
    path = task.write("app.py", "def handler(event, context:\n    return 1\n")
    error, out = init_error(task)
    assert error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert error["errorMessage"].startswith("Syntax error in module 'app': ")
    assert "(app.py, line 1)" in error["errorMessage"]
    assert error["stackTrace"] == ['  File "%s" Line 1\n    def handler(event, context:\n' % path]
    assert error["requestId"] == ""
    assert "[ERROR] Runtime.UserCodeSyntaxError: Syntax error in module 'app'" in out


def test_handler_missing(task):
    task.write("app.py", "def other(event, context):\n    pass\n")
    error, _ = init_error(task, "app.nope")
    assert error == {
        "errorMessage": "Handler 'nope' missing on module 'app'",
        "errorType": "Runtime.HandlerNotFound",
        "requestId": "",
        "stackTrace": [],
    }


def test_malformed_handler_name(task):
    error, _ = init_error(task, "app")
    assert error["errorType"] == "Runtime.MalformedHandlerName"
    assert error["errorMessage"] == "Bad handler 'app': not enough values to unpack (expected 2, got 1)"


def test_built_in_module_conflict(task):
    error, _ = init_error(task, "sys.handler")
    assert error["errorType"] == "Runtime.BuiltInModuleConflict"
    assert error["errorMessage"] == "Cannot use built-in module sys as a handler module"


def test_exception_at_import_keeps_its_class_name(task):
    task.write("app.py", "raise RuntimeError('init failed')\n")
    error, out = init_error(task)
    assert error["errorType"] == "RuntimeError"
    assert error["errorMessage"] == "init failed"
    assert error["requestId"] == ""
    assert error["stackTrace"][-1] == '  File "%s/app.py", line 1, in <module>\n    raise RuntimeError(\'init failed\')\n' % task.root
    assert any("importlib" in frame for frame in error["stackTrace"])
    assert not any("bootstrap.py" in frame for frame in error["stackTrace"])
    assert "[ERROR] RuntimeError: init failed\nTraceback (most recent call last):\n" in out


# ---------------------------------------------------------------------------------------------
# Marshalling


def test_unmarshal_error(task):
    task.write("app.py", "def handler(event, context):\n    return event\n")
    rt = task.start().ready()
    kind, body = rt.invoke(b"{not json", raw=True, request_id="bad")
    assert kind == "F"
    assert parse(body) == {
        "errorMessage": "Unable to unmarshal input: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        "errorType": "Runtime.UnmarshalError",
        "requestId": "bad",
        "stackTrace": [],
    }


def test_event_is_utf8_with_an_optional_bom(task):
    task.write("app.py", "def handler(event, context):\n    return event\n")
    rt = task.start().ready()
    assert rt.invoke(b'\xef\xbb\xbf{"a": "\xc3\xa9"}', raw=True) == ("S", b'{"a": "\\u00e9"}')
    kind, body = rt.invoke(b'"\xff"', raw=True)
    assert kind == "F"
    assert parse(body)["errorMessage"].startswith("Unable to unmarshal input: 'utf-8' codec can't decode byte 0xff")


def test_marshal_error(task):
    task.write("app.py", """
        import datetime
        def handler(event, context):
            return {"now": datetime.datetime(2024, 1, 1)}
    """)
    rt = task.start().ready()
    kind, body = rt.invoke({}, request_id="m")
    assert kind == "F"
    assert parse(body) == {
        "errorMessage": "Unable to marshal response: Object of type datetime is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": "m",
        "stackTrace": [],
    }
    out, _ = rt.drain()
    assert out == (
        "[ERROR] Runtime.MarshalError: Unable to marshal response: Object of type datetime is not JSON serializable\n"
        "Traceback (most recent call last):\n"
    )


@pytest.mark.parametrize("expression, expected", [
    ("None", b"null"),
    ("b'\\x00raw\\xff'", b"\x00raw\xff"),
    ("'ok'", b'"ok"'),
    ("{'s': 'h\u00e9', 'n': [1, 2.5, True, None]}", b'{"s": "h\\u00e9", "n": [1, 2.5, true, null]}'),
    ("{'a': Decimal('1.10'), 'b': [Decimal('-0'), Decimal('1E+3')], 'c': Decimal('NaN')}",
     b'{"a": 1.10, "b": [-0, 1E+3], "c": NaN}'),
    ("float('inf')", b"Infinity"),
    ("Point(1, [Point(2, 3)])", b'{"x": 1, "y": [{"x": 2, "y": 3}]}'),
    ("(1, 2)", b"[1, 2]"),
])
def test_results_marshal_like_the_ric(task, expression, expected):
    task.write("app.py", """
        from collections import namedtuple
        from decimal import Decimal
        Point = namedtuple("Point", "x y")
        def handler(event, context):
            return %s
    """ % expression)
    rt = task.start().ready()
    assert rt.invoke({}) == ("S", expected)


def test_circular_result_is_a_marshal_error(task):
    task.write("app.py", "def handler(event, context):\n    a = []\n    a.append(a)\n    return a\n")
    rt = task.start().ready()
    kind, body = rt.invoke({})
    assert kind == "F"
    assert parse(body)["errorMessage"] == "Unable to marshal response: Circular reference detected"


# ---------------------------------------------------------------------------------------------
# Logs


def test_everything_printed_is_in_the_pipe_before_the_result_frame(task):
    task.write("app.py", """
        import logging, sys
        def handler(event, context):
            for i in range(200):
                print("line", i)
            sys.stdout.write("no newline")
            sys.stderr.write("to stderr\\n")
            logging.getLogger("x").error("logged")
            context.log("via context\\n")
            return "done"
    """)
    rt = task.start().ready()
    assert rt.invoke({}, request_id="ordered") == ("S", b'"done"')
    out, err = rt.drain()  # no waiting: it must all be there already
    lines = out.split("\n")
    assert lines[:200] == ["line %d" % i for i in range(200)]
    assert lines[200].startswith("no newline[ERROR]\t")
    assert lines[200].endswith("\tordered\tlogged")
    assert lines[201:] == ["via context", ""]
    assert err == "to stderr\n"


def test_logging_format_and_default_level(task):
    task.write("app.py", """
        import logging
        logger = logging.getLogger()
        def handler(event, context):
            logger.info("hidden: the root logger stays at WARNING")
            logger.warning("RequestId log message")
            try:
                raise KeyError("k")
            except KeyError:
                logger.exception("caught")
            return logging.basicConfig() or len(logger.handlers)
    """)
    rt = task.start().ready()
    assert rt.invoke({}, request_id="rid-1") == ("S", b"1")
    out, _ = rt.drain()
    lines = out.split("\n")
    warning = LOG_LINE.match(lines[0])
    assert warning and warning.groups()[0] == "WARNING" and warning.groups()[2:] == ("rid-1", "RequestId log message")
    stamp = time.strptime(warning.group(2).split(".")[0], "%Y-%m-%dT%H:%M:%S")
    assert abs(time.mktime(stamp) - time.mktime(time.gmtime())) < 60  # UTC
    assert LOG_LINE.match(lines[1]).group(4) == "caught"
    assert lines[2] == "Traceback (most recent call last):"
    assert lines[-2] == "KeyError: 'k'"  # the record is ended with a newline
    assert lines[-1] == ""
    assert "hidden" not in out


def test_log_level_from_environment(task):
    task.write("app.py", """
        import logging
        def handler(event, context):
            logging.debug("debug shown")
            logging.info("info shown")
    """)
    rt = task.start(env={"AWS_LAMBDA_LOG_LEVEL": "TRACE"}).ready()
    assert rt.invoke({}, request_id="lvl") == ("S", b"null")
    out, _ = rt.drain()
    assert [LOG_LINE.match(line).group(1, 4) for line in out.splitlines()] == [
        ("DEBUG", "debug shown"), ("INFO", "info shown")]


def test_json_log_format(task):
    task.write("app.py", """
        import logging
        def handler(event, context):
            logging.getLogger("mine").warning("hi %s", "there", extra={"k": 1})
            raise ValueError("bad")
    """)
    rt = task.start(env={"AWS_LAMBDA_LOG_FORMAT": "JSON"}).ready()
    assert rt.invoke({}, request_id="j")[0] == "F"
    out, _ = rt.drain()
    record, error = [json.loads(line) for line in out.splitlines()]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record.pop("timestamp"))
    assert record == {"level": "WARNING", "message": "hi there", "logger": "mine", "requestId": "j", "k": 1}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", error.pop("timestamp"))
    assert error["level"] == "ERROR" and error["errorType"] == "ValueError" and error["requestId"] == "j"


# ---------------------------------------------------------------------------------------------
# Protocol errors


def test_unknown_frame_type_is_a_protocol_error(task):
    task.write("app.py", "def handler(event, context):\n    return 1\n")
    rt = task.start().ready()
    rt.send("Z", b"")
    code, _, err = rt.finish(close=False)
    assert code == 2
    assert "protocol error" in err


def test_runtime_still_answers_after_the_function_closes_stdout(task):
    task.write("app.py", """
        import os, sys
        def handler(event, context):
            if event == "close":
                sys.stdout.close()
                os.close(1)
                raise RuntimeError("stdout is gone")
            print("still printing")
            return "unreachable"
    """)
    rt = task.start().ready()
    kind, body = rt.invoke("close")
    assert (kind, parse(body)["errorMessage"]) == ("F", "stdout is gone")
    kind, body = rt.invoke("print")
    assert (kind, parse(body)["errorType"]) == ("F", "ValueError")  # print on a closed file, as on Lambda
    assert rt.finish()[0] == 0
