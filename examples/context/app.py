"""Returns what a function sees: its event, the context object, a few environment variables.

`invocations` counts calls in this instance: a warm instance keeps module globals, so repeated
invocations return 1, 2, 3, ... until the instance is replaced (cold start: back to 1).
"""

import os

invocations = 0

ENV_VARS = (
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "LAMBDA_TASK_ROOT",
    "TZ",
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
)


def handler(event, context):
    global invocations
    invocations += 1
    identity = context.identity
    client_context = context.client_context
    return {
        "invocations": invocations,
        "event": event,
        "context": {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "identity": {
                "cognito_identity_id": identity.cognito_identity_id,
                "cognito_identity_pool_id": identity.cognito_identity_pool_id,
            },
            "client_context": None if client_context is None else {
                "custom": client_context.custom,
                "env": client_context.env,
                "client": None if client_context.client is None else {
                    field: getattr(client_context.client, field)
                    for field in ("installation_id", "app_title", "app_version_name",
                                  "app_version_code", "app_package_name")
                },
            },
            "remaining_time_in_millis": context.get_remaining_time_in_millis(),
        },
        "env": {name: os.environ.get(name) for name in ENV_VARS},
        "process": {"pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid(), "cwd": os.getcwd()},
    }
