# Answers Slack's slash command at once (Slack wants a reply within 3 s); the slow work runs in
# examples/slack-command/worker, which nginx hands the same request to as an async event.
def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": '{"response_type": "ephemeral", "text": "Working on it, please wait..."}',
    }
