import FnboxRuntime
import Testing

@Suite("fnbox.toml")
struct ManifestParserTests {
    @Test("a full manifest fills every field")
    func fullManifest() throws {
        let manifest = try ManifestParser.parse("""
            name = "hello"
            runtime = "python3"
            handler = "src/app.handler"
            memory = 256
            timeout = 30
            [env]
            GREETING = "hi"
            LOG_LEVEL = "debug"
            [[mount]]
            source = "/srv/data"
            target = "/mnt/data"
            [[mount]]
            source = "/srv/cache"
            target = "/mnt/cache"
            read_only = false
            """)
        #expect(manifest == Manifest(
            name: "hello", runtime: .python3, handler: "src/app.handler", memoryMB: 256, timeoutSeconds: 30,
            environment: ["GREETING": "hi", "LOG_LEVEL": "debug"],
            mounts: [
                FunctionMount(source: "/srv/data", target: "/mnt/data", readOnly: true),
                FunctionMount(source: "/srv/cache", target: "/mnt/cache", readOnly: false),
            ]))
    }

    @Test("an empty manifest sets nothing, so the defaults apply")
    func emptyManifest() throws {
        #expect(try ManifestParser.parse("") == Manifest())
        #expect(try ManifestParser.parse("# only a comment\n") == Manifest())
    }

    @Test("an inline env table is read like an [env] section")
    func inlineEnv() throws {
        let manifest = try ManifestParser.parse(#"env = { A = "1", B_2 = "two" }"#)
        #expect(manifest.environment == ["A": "1", "B_2": "two"])
    }

    static let badManifests: [(toml: String, message: String)] = [
        ("memory = 64", "fnbox.toml: memory: 64 is out of range (128–10240 MB)"),
        ("memory = 10241", "fnbox.toml: memory: 10241 is out of range (128–10240 MB)"),
        ("timeout = 0", "fnbox.toml: timeout: 0 is out of range (1–900 seconds)"),
        ("timeout = 901", "fnbox.toml: timeout: 901 is out of range (1–900 seconds)"),
        ("memroy = 128", "fnbox.toml: unknown key 'memroy' (did you mean 'memory'?)"),
        ("colour = \"red\"", "fnbox.toml: unknown key 'colour'"),
        ("timeout = \"3\"", "fnbox.toml: timeout: expected an integer, got a string"),
        ("memory = 128.0", "fnbox.toml: memory: expected an integer, got a float"),
        ("name = 42", "fnbox.toml: name: expected a string, got an integer"),
        ("runtime = \"node\"", "fnbox.toml: runtime: 'node' is not supported (use \"python3\" or \"exec\")"),
        ("name = \"my func\"", "fnbox.toml: name: 'my func' may only contain letters, digits, '-' and '_'"),
        ("name = \"\(String(repeating: "a", count: 65))\"", "fnbox.toml: name: '\(String(repeating: "a", count: 65))' is 65 characters; the limit is 64"),
        ("runtime = \"python3\"\nhandler = \"app\"", "fnbox.toml: handler: 'app' must be module.function, for example app.handler"),
        ("runtime = \"exec\"\nhandler = \"/bin/sh\"", "fnbox.toml: handler: '/bin/sh' must be a path relative to the bundle"),
        ("runtime = \"exec\"\nhandler = \"../bootstrap\"", "fnbox.toml: handler: '../bootstrap' must stay inside the bundle"),
        ("env = \"A=1\"", "fnbox.toml: env: expected a table, got a string"),
        ("[env]\nPORT = 8080", "fnbox.toml: env.PORT: expected a string, got an integer"),
        ("[env]\n1BAD = \"x\"", "fnbox.toml: env: '1BAD' is not a valid variable name (it must match [a-zA-Z][a-zA-Z0-9_]*)"),
        ("[env]\n\"MY-VAR\" = \"x\"", "fnbox.toml: env: 'MY-VAR' is not a valid variable name (it must match [a-zA-Z][a-zA-Z0-9_]*)"),
        ("[env]\nAWS_REGION = \"eu-west-1\"", "fnbox.toml: env: AWS_REGION is reserved by Lambda and cannot be set"),
        ("[env]\nLAMBDA_TASK_ROOT = \"/\"\nAWS_LAMBDA_RUNTIME_API = \"x\"", "fnbox.toml: env: AWS_LAMBDA_RUNTIME_API, LAMBDA_TASK_ROOT are reserved by Lambda and cannot be set"),
        // Lambda checks the key pattern first, and _HANDLER doesn't start with a letter.
        ("[env]\n_HANDLER = \"x\"", "fnbox.toml: env: '_HANDLER' is not a valid variable name (it must match [a-zA-Z][a-zA-Z0-9_]*)"),
        ("mount = \"/srv\"", "fnbox.toml: mount: expected an array of tables ([[mount]]), got a string"),
        ("[[mount]]\nsource = \"/srv/data\"\ntarget = \"/data\"", "fnbox.toml: mount[0].target: '/data' must be under /mnt/ (for example /mnt/data)"),
        ("[[mount]]\nsource = \"/srv/data\"\ntarget = \"/mnt\"", "fnbox.toml: mount[0].target: '/mnt' must be under /mnt/ (for example /mnt/data)"),
        ("[[mount]]\nsource = \"/srv/data\"\ntarget = \"/mnt/\"", "fnbox.toml: mount[0].target: '/mnt/' must be under /mnt/ (for example /mnt/data)"),
        ("[[mount]]\nsource = \"/srv/data\"\ntarget = \"/mnt/../etc\"", "fnbox.toml: mount[0].target: '/mnt/../etc' must not contain '..'"),
        ("[[mount]]\nsource = \"/srv/data\"\ntarget = \"/mnt/a//b\"", "fnbox.toml: mount[0].target: '/mnt/a//b' must be a plain path (no empty or '.' components)"),
        ("[[mount]]\nsource = \"srv/data\"\ntarget = \"/mnt/data\"", "fnbox.toml: mount[0].source: 'srv/data' must be an absolute path"),
        ("[[mount]]\nsource = \"/a\"\ntarget = \"/mnt/x\"\n[[mount]]\nsource = \"/b\"\ntarget = \"/mnt/x\"", "fnbox.toml: mount[1].target: '/mnt/x' is the target of another mount"),
        ("[[mount]]\nsource = \"/srv/data\"", "fnbox.toml: mount[0].target: is required"),
        ("[[mount]]\nsource = \"/srv/data\"\ntarget = \"/mnt/data\"\nreadonly = true", "fnbox.toml: unknown key 'mount[0].readonly' (did you mean 'read_only'?)"),
        ("[[mount]]\nsource = \"/srv/data\"\ntarget = \"/mnt/data\"\nread_only = \"yes\"", "fnbox.toml: mount[0].read_only: expected a boolean, got a string"),
    ]

    @Test("a bad manifest is refused with a message naming the file and the field", arguments: badManifests)
    func badManifest(toml: String, message: String) throws {
        let error = try #require(throws: BundleError.self) { try ManifestParser.parse(toml) }
        #expect(error.description == message)
    }

    @Test("a TOML syntax error names the file and the line")
    func syntaxError() throws {
        let error = try #require(throws: BundleError.self) {
            try ManifestParser.parse("name = \"x\"\nmemory = 128\ntimeout = = 3\n")
        }
        guard case .manifestParse(let file, let line, _) = error else {
            Issue.record("expected a parse error, got \(error)")
            return
        }
        #expect(file == "fnbox.toml")
        #expect(line == 3)
        #expect(error.description.hasPrefix("fnbox.toml:3: parse error: "))
    }

    @Test("a key given twice is a parse error")
    func duplicateKey() throws {
        let error = try #require(throws: BundleError.self) { try ManifestParser.parse("memory = 128\nmemory = 256\n") }
        #expect(error.description.hasPrefix("fnbox.toml:2: parse error: "))
    }

    @Test("the file name in messages is the one given")
    func fileLabel() throws {
        let error = try #require(throws: BundleError.self) { try ManifestParser.parse("memory = 1", file: "fn/fnbox.toml") }
        #expect(error == .invalidField(file: "fn/fnbox.toml", field: "memory", message: "1 is out of range (128–10240 MB)"))
    }

    @Test("an [env] over 4 KB of compact JSON is refused")
    func environmentTooLarge() throws {
        // {"BIG":"…"} is 10 bytes of JSON around the value.
        let fits = try ManifestParser.parse("[env]\nBIG = \"\(String(repeating: "x", count: 4086))\"")
        #expect(fits.environment["BIG"]?.count == 4086)
        let error = try #require(throws: BundleError.self) {
            try ManifestParser.parse("[env]\nBIG = \"\(String(repeating: "x", count: 4087))\"")
        }
        #expect(error.description == "fnbox.toml: env: 4097 bytes as compact JSON; the limit is 4096")
    }
}
