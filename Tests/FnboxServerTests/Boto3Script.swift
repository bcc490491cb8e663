/// The boto3 client the nginx test runs: unchanged boto3 with `endpoint_url` at nginx.
enum Boto3Script {
    static let source = #"""
    import base64, io, json, sys, urllib.request, zipfile
    import boto3
    from botocore.config import Config

    endpoint = sys.argv[1]
    client = boto3.client(
        "lambda", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )

    def bundle(source):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("app.py", source)
        return buf.getvalue()

    V1 = "count = 0\ndef handler(event, context):\n    global count\n    count += 1\n    print('log line', count)\n    return {'v': 1, 'count': count, 'event': event}\n"
    V2 = "def handler(event, context):\n    print('x' * 10000)\n    return {'v': 2}\n"
    URL = ("import base64\nfrom urllib.parse import parse_qs\n"
           "def handler(event, context):\n"
           "    body = base64.b64decode(event['body']).decode() if event.get('isBase64Encoded') else event.get('body', '')\n"
           "    return {'statusCode': 200, 'headers': {'content-type': 'text/plain'}, 'body': 'hi ' + parse_qs(body)['user_name'][0]}\n")

    created = client.create_function(
        FunctionName="boto", Runtime="python3.12", Role="arn:aws:iam::123456789012:role/lambda",
        Handler="app.handler", Code={"ZipFile": bundle(V1)})
    assert created["FunctionName"] == "boto", created
    client.get_waiter("function_active_v2").wait(FunctionName="boto")

    out = client.invoke(FunctionName="boto", Payload=json.dumps({"k": "v"}), LogType="Tail")
    assert out["StatusCode"] == 200, out
    body = json.loads(out["Payload"].read())
    assert body == {"v": 1, "count": 1, "event": {"k": "v"}}, body
    log = base64.b64decode(out["LogResult"]).decode()
    assert "log line 1" in log and "REPORT RequestId" in log, log
    assert out["ExecutedVersion"] == "$LATEST", out

    second = json.loads(client.invoke(FunctionName="boto", Payload=b"{}")["Payload"].read())
    assert second["count"] == 2, second

    names = [f["FunctionName"] for f in client.list_functions()["Functions"]]
    assert "boto" in names, names

    client.update_function_code(FunctionName="boto", ZipFile=bundle(V2))
    client.get_waiter("function_updated_v2").wait(FunctionName="boto")
    noisy = client.invoke(FunctionName="boto", LogType="Tail")
    assert json.loads(noisy["Payload"].read()) == {"v": 2}, noisy
    tail = base64.b64decode(noisy["LogResult"])
    assert len(tail) == 4096 and b"REPORT RequestId" in tail, len(tail)

    try:
        client.invoke(FunctionName="missing")
        raise AssertionError("invoke of a missing function succeeded")
    except client.exceptions.ResourceNotFoundException as e:
        assert "Function not found" in str(e), e

    client.create_function(
        FunctionName="slash", Runtime="python3.12", Role="arn:aws:iam::123456789012:role/lambda",
        Handler="app.handler", Code={"ZipFile": bundle(URL)})
    request = urllib.request.Request(
        endpoint + "/function-urls/slash/", data=b"user_name=grace&command=%2Fhi",
        headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST")
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
        text = response.read().decode()
        assert text == "hi grace", text

    from botocore.exceptions import ClientError
    try:
        client.invoke(FunctionName="boto", Payload=b'"' + b"a" * 7_000_000 + b'"')
        raise AssertionError("a 7 MB invoke was accepted")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "RequestEntityTooLargeException", e.response
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 413, e.response
    assert json.loads(client.invoke(FunctionName="boto")["Payload"].read()) == {"v": 2}

    client.delete_function(FunctionName="boto")
    client.delete_function(FunctionName="slash")
    assert client.list_functions()["Functions"] == []
    print("BOTO3 OK")
    """#
}
