"""fnbox Python runtime: AWS Lambda's Python programming model over the fnbox frame protocol.

The host starts one of these per function instance, as
    /usr/bin/python3 -B -S -u /var/runtime/bootstrap.py
and talks to it over the stream socket FNBOX_RUNTIME_FD (3); PROTOCOL.md beside this file
defines the frames. The user-visible behaviour (handler resolution, error objects, marshalling,
the context object, logging) follows Lambda's runtime interface client (awslambdaric) as the
fact sheet describes it (LAMBDA.md section 5); every deliberate difference is marked "fnbox:".

Cold start matters, so this file imports only what Lambda's runtime has loaded before user code
runs anyway: json and logging (which brings traceback and time). Nothing third-party.
"""

import os
import sys

# Take the channel first: user code must neither see its number nor hand it to a child process.
# We inherited fd 3 from the host, so unlike fds Python opens itself it is still inheritable.
_FD = int(os.environ.pop("FNBOX_RUNTIME_FD", "3"))
os.set_inheritable(_FD, False)

import importlib
import json
import logging
import time
import traceback

_AWS_LAMBDA_LOG_FORMAT = os.environ.get("AWS_LAMBDA_LOG_FORMAT")
_AWS_LAMBDA_LOG_LEVEL = os.environ.get("AWS_LAMBDA_LOG_LEVEL")

# awslambdaric sets ensure_ascii=False only for python3.12 and later.
_EXEC_ENV = os.environ.get("AWS_EXECUTION_ENV", "")
try:
    _PY_MINOR = int(_EXEC_ENV.rpartition("python3.")[2]) if "python3." in _EXEC_ENV else sys.version_info[1]
except ValueError:
    _PY_MINOR = sys.version_info[1]
_ENSURE_ASCII = _PY_MINOR < 12

_ERROR_LOG_IDENT = "\u00a0"  # leading spaces of traceback lines become NO-BREAK SPACE, as Lambda logs them
_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
_UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. "
    "The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. "
    "To determine if the runtime has been updated, check the runtime version in the INIT_START log entry. "
    "If this error correlates with a change in the runtime version, you may be able to mitigate this error "
    "by temporarily rolling back to the previous runtime version. "
    "For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)

_request_id = None
_tenant_id = None


# ---------------------------------------------------------------------------------------------
# Frames (PROTOCOL.md)


class _ProtocolError(Exception):
    pass


def _read_exact(n):
    """n bytes from the channel; None on EOF before the first byte, _ProtocolError on EOF inside."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(_FD, [view[got:]])
        if k == 0:
            if got == 0:
                return None
            raise _ProtocolError("EOF inside a frame (%d of %d bytes)" % (got, n))
        got += k
    return buf


def _recv():
    """The next frame (type byte included), or None when the host closed the channel between frames."""
    head = _read_exact(4)
    if head is None:
        return None
    n = int.from_bytes(head, "big")
    if n == 0:
        raise _ProtocolError("empty frame")
    frame = _read_exact(n)
    if frame is None:
        raise _ProtocolError("EOF after a frame length")
    return frame


def _send(kind, body=b""):
    n = len(body) + 1
    if n > 0xFFFFFFFF:
        raise _ProtocolError("frame of %d bytes does not fit a 4-byte length" % n)
    data = memoryview(b"".join((n.to_bytes(4, "big"), kind, body)))
    while data:
        data = data[os.write(_FD, data):]


def _flush_logs():
    # The host attributes log lines to an invocation by their order against our frames:
    # everything the handler printed must be in the pipe before its S or F frame is.
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:
            pass


def _exit(code):
    """Leave now, without waiting for threads the function left running (Lambda would just freeze them)."""
    _flush_logs()
    os._exit(code)


# ---------------------------------------------------------------------------------------------
# Errors


class FaultException(Exception):
    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"

    def __init__(self, exception_type, msg, trace=None):
        self.msg = msg
        self.exception_type = exception_type
        self.trace = trace


def _make_error(error_message, error_type, stack_trace, invoke_id=None):
    return {
        "errorMessage": error_message if error_message else "",
        "errorType": error_type if error_type else "",
        "requestId": invoke_id if invoke_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _fault_result(exc_info, invoke_id=None):
    """The error object of an exception the function raised, without this file's frames on top."""
    etype, value, tb = exc_info
    frames = traceback.extract_tb(tb)
    for i, frame in enumerate(frames):
        if "/bootstrap.py" not in frame.filename:
            frames = frames[i:]
            break
    tuples = [(f.filename, f.lineno, f.name, f.line) for f in frames]
    return _make_error(str(value), etype.__name__, traceback.format_list(tuples), invoke_id)


def _replace_indentation(line):
    stripped = line.lstrip(" ")
    return _ERROR_LOG_IDENT * (len(line) - len(stripped)) + stripped


def _log_error(error):
    """Log an error object the way Lambda does after an unhandled exception.

    fnbox: awslambdaric joins the lines with "\\r" on a plain stdout (so the line-based collector
    keeps the record in one event) and with "\\n" on its framed telemetry fd. Our log pipe is read by
    lines and shown to people, so we write what CloudWatch shows: lines joined with "\\n".
    """
    if _AWS_LAMBDA_LOG_FORMAT is not None and _AWS_LAMBDA_LOG_FORMAT.upper() == "JSON":
        record = {"timestamp": time.strftime(_DATETIME_FORMAT, time.gmtime(time.time())), "level": "ERROR"}
        record.update(error)
        text = _to_json(record) + "\n"
    else:
        description = "[ERROR]"
        if error.get("errorType"):
            description += " " + error["errorType"]
        if error.get("errorMessage"):
            if error.get("errorType"):
                description += ":"
            description += " " + error["errorMessage"]
        lines = [description]
        stack_trace = error.get("stackTrace")
        if stack_trace is not None:
            lines.append("Traceback (most recent call last):")
            for element in stack_trace:
                if element == "":
                    lines.append("")
                else:
                    lines.extend(_replace_indentation(line) for line in element.splitlines())
        text = "\n".join(lines) + "\n"
    # The runtime must still answer the host when the function broke stdout (closed it, replaced it).
    try:
        sys.stdout.write(text)
    except Exception:
        pass


# ---------------------------------------------------------------------------------------------
# Marshalling: awslambdaric uses simplejson; we get the same bytes from the stdlib encoder.


_LEAF_TYPES = frozenset((str, int, float, bool, type(None)))


def _expand_namedtuples(obj, path):
    """obj with every namedtuple turned into its _asdict(), as simplejson encodes them (objects, not arrays).

    Returns obj itself when nothing changed, so the common case copies nothing. path holds the ids of the
    containers being walked: a cycle is left in place for the encoder to report as json would.
    """
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        if isinstance(obj, tuple):
            asdict = getattr(obj, "_asdict", None)
            if asdict is not None and callable(asdict):
                return _expand_namedtuples(asdict(), path)
        items = enumerate(obj)
    else:
        return obj
    key = id(obj)
    if key in path:
        return obj
    path.add(key)
    changed = None
    leaf_types = _LEAF_TYPES
    for k, v in items:
        if type(v) in leaf_types:  # most values: skip the call
            continue
        nv = _expand_namedtuples(v, path)
        if nv is not v:
            if changed is None:
                changed = dict(obj) if isinstance(obj, dict) else list(obj)
            changed[k] = nv
    path.discard(key)
    return obj if changed is None else changed


def _to_json(obj):
    """JSON text of obj as awslambdaric's Encoder writes it.

    Decimals are written as their exact text (simplejson's RawJSON): the stdlib encoder has no raw
    values, so each Decimal is encoded as a token string and the tokens are replaced afterwards.
    """
    decimals = []

    def default(o):
        dec = sys.modules.get("decimal")  # nothing can be a Decimal if decimal was never imported
        if dec is not None and isinstance(o, dec.Decimal):
            if o.is_nan():
                return float("nan")
            decimals.append(str(o))
            return _DECIMAL_TOKEN
        asdict = getattr(o, "_asdict", None)
        if asdict is not None and callable(asdict):
            return asdict()
        raise TypeError("Object of type %s is not JSON serializable" % o.__class__.__name__)

    try:
        obj = _expand_namedtuples(obj, set())
    except RecursionError:
        pass  # too deep to walk: let the encoder raise its own error for it
    text = json.JSONEncoder(ensure_ascii=_ENSURE_ASCII, default=default).encode(obj)
    if decimals:
        parts = text.split(_DECIMAL_TOKEN_JSON)
        if len(parts) != len(decimals) + 1:
            raise ValueError("decimal placeholder collision")
        out = [parts[0]]
        for value, part in zip(decimals, parts[1:]):
            out.append(value)
            out.append(part)
        text = "".join(out)
    return text


# A string no event or result contains: NUL plus 128 random bits. Its JSON form is what we replace.
_DECIMAL_TOKEN = "\x00fnbox-decimal-" + os.urandom(16).hex()
_DECIMAL_TOKEN_JSON = json.dumps(_DECIMAL_TOKEN)


def _marshal_response(response):
    if isinstance(response, bytes):
        return response
    try:
        return _to_json(response).encode("utf-8")
    except Exception as e:
        raise FaultException(FaultException.MARSHAL_ERROR, "Unable to marshal response: {}".format(str(e)), None)


def _unmarshal_request(body):
    # simplejson decodes bytes as UTF-8 and skips a BOM; stdlib json.loads(bytes) would guess UTF-16/32.
    try:
        text = str(body, "utf-8")
        if text.startswith("\ufeff"):
            text = text[1:]
        return json.loads(text)
    except Exception as e:
        raise FaultException(FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: {}".format(str(e)), None)


# ---------------------------------------------------------------------------------------------
# The context object


class LambdaContext(object):
    def __init__(self, invoke_id, client_context, cognito_identity, epoch_deadline_time_in_ms,
                 invoked_function_arn=None, tenant_id=None):
        self.aws_request_id = invoke_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id

        self.client_context = _make_obj_from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _make_obj_from_dict(Client, self.client_context.client)

        self.identity = _make_obj_from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")

        self._epoch_deadline_time_in_ms = epoch_deadline_time_in_ms

    def get_remaining_time_in_millis(self):
        delta_ms = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return delta_ms if delta_ms > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}"
            "])"
        )


class CognitoIdentity(object):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}"
            "])"
        )


class Client(object):
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"installation_id={self.installation_id},"
            f"app_title={self.app_title},"
            f"app_version_name={self.app_version_name},"
            f"app_version_code={self.app_version_code},"
            f"app_package_name={self.app_package_name}"
            "])"
        )


class ClientContext(object):
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return f"{self.__class__.__name__}([custom={self.custom},env={self.env},client={self.client}])"


def _make_obj_from_dict(cls, d):
    if d is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, d.get(field, None))
    return obj


# ---------------------------------------------------------------------------------------------
# Logging


class LambdaLoggerHandler(logging.Handler):
    """The root logger's one handler. Like Lambda's it does not catch: a bad log call raises in the caller."""

    def emit(self, record):
        msg = self.format(record)
        # fnbox: on Lambda each record is one CloudWatch event even without a final newline (logger.exception
        # leaves none); on our line-based pipe the next record would be glued on, so end every record.
        if not msg.endswith("\n"):
            msg += "\n"
        sys.stdout.write(msg)


class LambdaLoggerFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id or ""
        record.tenant_id = _tenant_id
        return True


_RESERVED_FIELDS = {
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
    "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread",
    "threadName", "processName", "process", "aws_request_id", "tenant_id", "_frame_type",
}


class JsonFormatter(logging.Formatter):
    """AWS_LAMBDA_LOG_FORMAT=JSON: one object per record, as Lambda's runtime writes them."""

    def __init__(self):
        super().__init__(datefmt=_DATETIME_FORMAT)
        self._encode = json.JSONEncoder(ensure_ascii=False).encode

    def formatTime(self, record, datefmt=None):
        from datetime import datetime, timezone
        dt = datetime.fromtimestamp(record.created, tz=timezone.utc)
        return dt.strftime(_DATETIME_FORMAT + ".%f")[:-3] + "Z"

    def format(self, record):
        record.levelno = min(50, max(0, record.levelno)) // 10 * 10
        record.levelname = logging.getLevelName(record.levelno)
        exc_info = record.exc_info
        result = {
            "timestamp": self.formatTime(record, self.datefmt),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc_info[2]) if exc_info else None,
            "errorType": exc_info[0].__name__ if exc_info else None,
            "errorMessage": str(exc_info[1]) if exc_info else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": f"{record.pathname}:{record.funcName}:{record.lineno}" if exc_info else None,
        }
        if getattr(record, "tenant_id", None) is not None:
            result["tenantId"] = record.tenant_id
        result.update(
            (key, value) for key, value in record.__dict__.items() if key not in _RESERVED_FIELDS and key not in result
        )
        return self._encode({k: v for k, v in result.items() if v is not None}) + "\n"


def _setup_logging():
    logging.Formatter.converter = time.gmtime  # global, as on Lambda: every formatter writes UTC
    handler = LambdaLoggerHandler()
    if _AWS_LAMBDA_LOG_FORMAT is not None and _AWS_LAMBDA_LOG_FORMAT.upper() == "JSON":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", _DATETIME_FORMAT))
    # Only an explicit AWS_LAMBDA_LOG_LEVEL sets a level; otherwise Python's WARNING default stands.
    level = {None: "", "TRACE": "DEBUG"}.get(_AWS_LAMBDA_LOG_LEVEL, _AWS_LAMBDA_LOG_LEVEL).upper()
    root = logging.getLogger()
    if level in logging._nameToLevel:
        root.setLevel(level)
    handler.addFilter(LambdaLoggerFilter())
    root.addHandler(handler)


# ---------------------------------------------------------------------------------------------
# Init and invocations


def _set_sys_path(task_root):
    """The function's code first, then PYTHONPATH (/var/runtime) and the standard library, each once.

    The host's site-packages and dist-packages (whatever its /usr has installed) are not Lambda's and must
    not satisfy a function's imports. Run with -S they never get on sys.path; without it we take them off.
    """
    site_dirs = set()
    if not sys.flags.no_site:
        import site
        site_dirs.update(site.getsitepackages())
        site_dirs.add(site.getusersitepackages())
    path = [task_root]
    for entry in sys.path:
        if entry and entry not in path and entry not in site_dirs:
            path.append(entry)
    sys.path[:] = path


def _add_site_builtins():
    # -S skipped site.main(); keep the builtins it adds (exit, quit, help, ...), which handlers do call.
    import site
    site.setquit()
    site.setcopyright()
    site.sethelper()


def _get_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(FaultException.MALFORMED_HANDLER_NAME, "Bad handler '{}': {}".format(handler, str(e)))

    try:
        # Known difference: Debian compiles more modules in than Lambda's python does (math, select, array,
        # zlib, ...), so a handler module of such a name is a BuiltInModuleConflict here and not there.
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module {} as a handler module".format(modname),
            )
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR, "Unable to import module '{}': {}".format(modname, str(e)))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR, "Syntax error in module '{}': {}".format(modname, str(e)), trace)

    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND, "Handler '{}' missing on module '{}'".format(fname, modname), None)


def _init():
    """Import the function and resolve its handler; on failure send E and exit 1."""
    _set_sys_path(os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))
    if sys.flags.no_site:
        _add_site_builtins()
    _setup_logging()
    try:
        return _get_handler(os.environ.get("_HANDLER", ""))
    except Exception as e:  # not BaseException: sys.exit() at import ends the process, as on Lambda
        if isinstance(e, FaultException):
            error = _make_error(e.msg, e.exception_type, e.trace)
        else:
            error = _fault_result(sys.exc_info())
        try:
            logging.warning(_UNHANDLED_WARNING)
        except Exception:
            pass
        _log_error(error)
        _flush_logs()
        _send(b"E", _to_json(error).encode("utf-8"))
        _exit(1)


def _invoke(request_handler, frame):
    """Run one invocation from an I frame; send S or F."""
    global _request_id, _tenant_id
    newline = frame.find(b"\n", 1)
    if newline < 0:
        raise _ProtocolError("invoke frame without a header line")
    try:
        header = json.loads(str(frame[1:newline], "utf-8"))
        invoke_id = header["request_id"]
        deadline_ms = int(header["deadline_ms"])
    except (ValueError, KeyError, TypeError) as e:
        raise _ProtocolError("bad invoke header: %s" % e)
    event_body = memoryview(frame)[newline + 1:]

    _request_id = invoke_id
    _tenant_id = header.get("tenant_id")
    trace_id = header.get("trace_id")
    if trace_id is not None:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)

    error = None
    try:
        context = LambdaContext(invoke_id, header.get("client_context"), header.get("identity"), deadline_ms,
                                header.get("invoked_function_arn"), _tenant_id)
        event = _unmarshal_request(event_body)
        response = request_handler(event, context)
        result = _marshal_response(response)
    except FaultException as e:
        error = _make_error(e.msg, e.exception_type, e.trace, invoke_id)
    except Exception:  # not BaseException: sys.exit() in the handler ends the process (Runtime.ExitError)
        error = _fault_result(sys.exc_info(), invoke_id)

    if error is not None:
        _log_error(error)
        _flush_logs()
        _send(b"F", _to_json(error).encode("utf-8"))
    else:
        _flush_logs()
        _send(b"S", result)


def main():
    try:
        request_handler = _init()
        _flush_logs()
        _send(b"R")
        while True:
            frame = _recv()
            if frame is None:
                _exit(0)
            if frame[0] != ord("I"):
                raise _ProtocolError("unexpected frame type %r" % chr(frame[0]))
            _invoke(request_handler, frame)
    except (BrokenPipeError, ConnectionResetError):
        _exit(0)  # the host is gone; nobody is left to tell
    except (_ProtocolError, ConnectionError) as e:
        try:
            sys.stderr.write("fnbox runtime: protocol error: %s\n" % e)
        except Exception:
            pass
        _exit(2)


if __name__ == "__main__":
    main()
