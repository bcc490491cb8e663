# The slow half of the slash command, run from fnboxd's async queue: at least once, retried on
# failure, dead-lettered when it gives up. It receives the same payload-2.0 event as the ack.
#
# The sandbox has no network, so this worker cannot post to Slack's response_url itself: it writes
# its result to a mounted directory (fnbox.toml), keyed by the request id so that a duplicate run
# (at-least-once delivery) overwrites instead of repeating. Something outside the sandbox (a cron
# job, a file watcher) can deliver it.
import base64, json, os, time
from urllib.parse import parse_qs

def handler(event, context):
    body = event.get("body", "")
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    form = {k: v[0] for k, v in parse_qs(body).items()}
    done = "/mnt/results/%s.json" % context.aws_request_id
    if os.path.exists(done):           # idempotency: this request already ran
        return {"duplicate": True}
    time.sleep(2)                       # the slow part (scraping, a report...)
    result = {"user": form.get("user_name"), "text": form.get("text"), "response_url": form.get("response_url")}
    tmp = done + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.rename(tmp, done)                # all or nothing
    return result
