#if canImport(Glibc)
import Glibc
#endif
import FnboxRuntime
import FnboxTestSupport
import SystemPackage
import Testing

/// A bundle directory built file by file, removed when the test ends.
private struct BundleDirectory: ~Copyable {
    let scratch = BundleFixtures.makeScratchDirectory("fnbox-bundle-test")
    let root: FilePath

    init(_ name: String = "hello") {
        root = scratch.appending(name)
        BundleFixtures.makeDirectories(root)
    }

    deinit { BundleFixtures.remove(scratch) }

    func file(_ path: String, _ contents: String = "", mode: mode_t = 0o644) {
        BundleFixtures.writeFile(root.appending(path), contents, mode: mode)
    }

    func manifest(_ toml: String) { file("fnbox.toml", toml) }

    func open(_ overrides: ConfigOverrides = .init()) throws(BundleError) -> FunctionBundle {
        try FunctionBundle.open(root, overrides: overrides)
    }

    /// The message opening fails with, or nil if the bundle opens.
    func refusal(_ overrides: ConfigOverrides = .init()) -> String? {
        do {
            _ = try open(overrides)
            return nil
        } catch {
            return error.description
        }
    }

    /// Opening must fail with exactly this message.
    func expectRefused(_ message: String, _ overrides: ConfigOverrides = .init(),
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(refusal(overrides) == message, sourceLocation: sourceLocation)
    }
}

@Suite("FunctionBundle")
struct FunctionBundleTests {
    // MARK: Manifest and defaults

    @Test("a manifest's settings are used, and missing ones take Lambda's defaults")
    func manifestAndDefaults() throws {
        let dir = BundleDirectory()
        dir.file("app.py")
        dir.manifest("""
            name = "greeter"
            runtime = "python3"
            handler = "app.handler"
            [env]
            GREETING = "hi"
            """)
        let bundle = try dir.open()
        #expect(bundle.config == FunctionConfig(name: "greeter", runtime: .python3, handler: "app.handler",
                                                memoryMB: 128, timeoutSeconds: 3, environment: ["GREETING": "hi"]))
        #expect(bundle.root == dir.root)
        #expect(!bundle.isTemporary)
    }

    @Test("overrides win over the manifest; env is merged key by key; a mount replaces the one with its target")
    func overridesWin() throws {
        let dir = BundleDirectory()
        dir.file("app.py")
        dir.file("other.py")
        dir.manifest("""
            name = "from-manifest"
            handler = "app.handler"
            memory = 256
            timeout = 10
            [env]
            A = "manifest"
            B = "manifest"
            [[mount]]
            source = "/tmp"
            target = "/mnt/data"
            [[mount]]
            source = "/tmp"
            target = "/mnt/keep"
            """)
        let overrides = ConfigOverrides(
            name: "from-flags", handler: "other.handler", memoryMB: 512, timeoutSeconds: 60,
            environment: ["B": "flag", "C": "flag"],
            mounts: [FunctionMount(source: "/var", target: "/mnt/data", readOnly: false)])
        let config = try dir.open(overrides).config
        #expect(config.name == "from-flags")
        #expect(config.runtime == .python3)
        #expect(config.handler == "other.handler")
        #expect(config.memoryMB == 512)
        #expect(config.timeoutSeconds == 60)
        #expect(config.environment == ["A": "manifest", "B": "flag", "C": "flag"])
        #expect(config.mounts == [
            FunctionMount(source: "/tmp", target: "/mnt/keep"),
            FunctionMount(source: "/var", target: "/mnt/data", readOnly: false),
        ])
    }

    @Test("the name defaults to the directory's name without its extension")
    func nameFromDirectory() throws {
        let dir = BundleDirectory("my-func.v2")
        dir.file("app.py")
        #expect(try dir.open().config.name == "my-func")
    }

    @Test("a name taken from the bundle that Lambda would refuse says where it came from")
    func badDerivedName() {
        let dir = BundleDirectory("my func")
        dir.file("app.py")
        dir.expectRefused("my func: name: 'my func' may only contain letters, digits, '-' and '_' "
            + "(taken from the bundle's name; set name in fnbox.toml or override it)")
    }

    // MARK: Errors name the file and the field

    @Test("a bad manifest value names fnbox.toml and the field")
    func manifestErrorsNameTheFile() {
        let dir = BundleDirectory()
        dir.file("app.py")
        dir.manifest("memory = 64\n")
        dir.expectRefused("fnbox.toml: memory: 64 is out of range (128–10240 MB)")
        dir.manifest("name = \"x\"\ntimeout = = 3\n")
        #expect(dir.refusal()?.hasPrefix("fnbox.toml:2: parse error: ") == true)
    }

    @Test("a bad override names the command line and the field")
    func overrideErrorsNameTheSource() {
        let dir = BundleDirectory()
        dir.file("app.py")
        dir.expectRefused("command line: timeout: 1000 is out of range (1–900 seconds)", ConfigOverrides(timeoutSeconds: 1000))
        dir.expectRefused("command line: env: AWS_REGION is reserved by Lambda and cannot be set",
                          ConfigOverrides(environment: ["AWS_REGION": "x"]))
        dir.expectRefused("request: memory: 1 is out of range (128–10240 MB)", ConfigOverrides(memoryMB: 1, source: "request"))
    }

    @Test("a manifest value overridden by a bad flag blames the flag")
    func overriddenValueBlamesTheFlag() {
        let dir = BundleDirectory()
        dir.file("app.py")
        dir.manifest("memory = 256\n")
        dir.expectRefused("command line: memory: 64 is out of range (128–10240 MB)", ConfigOverrides(memoryMB: 64))
    }

    @Test("a mount source that doesn't exist on this host is refused, naming where the mount was set")
    func missingMountSource() {
        let dir = BundleDirectory()
        dir.file("app.py")
        dir.manifest("[[mount]]\nsource = \"/nonexistent/fnbox-data\"\ntarget = \"/mnt/data\"\n")
        dir.expectRefused("fnbox.toml: mount[0].source: '/nonexistent/fnbox-data' does not exist")
        dir.manifest("")
        dir.expectRefused("command line: mount[0].source: '/etc/passwd' is not a directory",
                          ConfigOverrides(mounts: [FunctionMount(source: "/etc/passwd", target: "/mnt/x")]))
    }

    // MARK: Inference without a manifest

    @Test("inference without a manifest follows Lambda's defaults",
          arguments: [
              (["lambda_function.py", "app.py", "bootstrap"], FunctionRuntime.python3, "lambda_function.lambda_handler"),
              (["app.py", "bootstrap"], .python3, "app.handler"),
              (["bootstrap", "README.md"], .exec, "bootstrap"),
          ])
    func inference(files: [String], runtime: FunctionRuntime, handler: String) throws {
        let dir = BundleDirectory()
        for file in files { dir.file(file, "", mode: file == "bootstrap" ? 0o755 : 0o644) }
        let config = try dir.open().config
        #expect(config.runtime == runtime)
        #expect(config.handler == handler)
    }

    @Test("an empty bundle is refused with a message saying what to add")
    func nothingToInfer() {
        let dir = BundleDirectory()
        dir.file("README.md")
        dir.expectRefused("hello: no handler found: add lambda_function.py (defining lambda_handler) or app.py "
            + "(defining handler), add an executable named bootstrap, or set runtime and handler in fnbox.toml")
    }

    @Test("a runtime without a handler infers the handler for that runtime only")
    func runtimeWithoutHandler() throws {
        let dir = BundleDirectory()
        dir.file("bootstrap", "", mode: 0o755)
        dir.file("app.py")
        #expect(try dir.open(ConfigOverrides(runtime: .exec)).config.handler == "bootstrap")
        #expect(try dir.open(ConfigOverrides(runtime: .python3)).config.handler == "app.handler")
    }

    @Test("a handler without a runtime is python3 when it names a module or package",
          arguments: [("app.py", "app.handler"), ("src/lambda/main.py", "src/lambda/main.run"),
                      ("pkg/__init__.py", "pkg.handler"), ("pkg/mod.py", "pkg.mod.handler")])
    func handlerMeansPython(file: String, handler: String) throws {
        let dir = BundleDirectory()
        dir.file(file)
        let config = try dir.open(ConfigOverrides(handler: handler)).config
        #expect(config.runtime == .python3)
        #expect(config.handler == handler)
    }

    @Test("a handler without a runtime is exec when it names an executable")
    func handlerMeansExec() throws {
        let dir = BundleDirectory()
        dir.file("bin/server.sh", "#!/bin/sh\n", mode: 0o755)
        let config = try dir.open(ConfigOverrides(handler: "bin/server.sh")).config
        #expect(config.runtime == .exec)
        #expect(config.handler == "bin/server.sh")
    }

    @Test("a handler that names nothing in the bundle is refused, asking for a runtime")
    func handlerNamesNothing() {
        let dir = BundleDirectory()
        dir.file("app.py")
        dir.expectRefused("command line: handler: cannot tell the runtime of 'missing.handler': the bundle has no "
            + "executable 'missing.handler' and no Python module for it; set runtime to \"python3\" or \"exec\"",
            ConfigOverrides(handler: "missing.handler"))
    }

    // MARK: exec handlers are checked against the bundle

    @Test("a bootstrap without the execute bit is refused with the fix")
    func bootstrapNotExecutable() {
        let dir = BundleDirectory()
        dir.file("bootstrap", "#!/bin/sh\n", mode: 0o644)
        dir.expectRefused("hello: handler: 'bootstrap' is not executable (chmod +x bootstrap)")
    }

    @Test("an exec handler must exist, be a file and stay inside the bundle")
    func execHandlerChecks() {
        let dir = BundleDirectory()
        dir.file("bootstrap", "", mode: 0o755)
        BundleFixtures.makeDirectories(dir.root.appending("bin"))
        BundleFixtures.makeSymlink(dir.root.appending("escape"), to: "/bin/sh")
        dir.manifest("runtime = \"exec\"\nhandler = \"server\"\n")
        dir.expectRefused("fnbox.toml: handler: 'server' does not exist in the bundle")
        dir.manifest("runtime = \"exec\"\nhandler = \"bin\"\n")
        dir.expectRefused("fnbox.toml: handler: 'bin' is not a regular file")
        dir.manifest("runtime = \"exec\"\nhandler = \"escape\"\n")
        let escape = dir.refusal()
        #expect(escape?.hasPrefix("fnbox.toml: handler: 'escape' resolves to '") == true)
        #expect(escape?.hasSuffix("', outside the bundle") == true)
        dir.expectRefused("command line: handler: '../bootstrap' must stay inside the bundle",
                          ConfigOverrides(handler: "../bootstrap", runtime: .exec))
    }

    // MARK: Zip bundles

    @Test("a zip bundle is unpacked to a temporary directory that removeTemporaryFiles deletes")
    func zipBundle() throws {
        let scratch = BundleFixtures.makeScratchDirectory("fnbox-zip-bundle")
        defer { BundleFixtures.remove(scratch) }
        let unpackInto = scratch.appending("unpacked")
        BundleFixtures.makeDirectories(unpackInto)
        var zip = RawZipWriter()
        zip.file("bootstrap", "#!/bin/sh\necho hi\n", mode: 0o755)
        zip.file("fnbox.toml", "memory = 1024\n[env]\nMODE = \"zip\"\n")
        zip.write(to: scratch.appending("my-fn.zip"))

        let bundle = try FunctionBundle.open(scratch.appending("my-fn.zip"), extractInto: unpackInto)
        #expect(bundle.isTemporary)
        #expect(bundle.config == FunctionConfig(name: "my-fn", runtime: .exec, handler: "bootstrap",
                                                memoryMB: 1024, environment: ["MODE": "zip"]))
        #expect(BundleFixtures.list(bundle.root) == ["bootstrap", "fnbox.toml"])
        #expect(BundleFixtures.list(unpackInto).count == 1)
        bundle.removeTemporaryFiles()
        #expect(BundleFixtures.list(unpackInto) == [])
    }

    @Test("zip bytes open as a bundle named by the caller, and a bad one leaves nothing behind")
    func zipBytesBundle() throws {
        let scratch = BundleFixtures.makeScratchDirectory("fnbox-zip-bundle")
        defer { BundleFixtures.remove(scratch) }
        var zip = RawZipWriter()
        zip.file("lambda_function.py", "def lambda_handler(event, context):\n    return event\n")
        let bundle = try FunctionBundle.open(zipBytes: zip.bytes(), name: "uploaded", extractInto: scratch)
        #expect(bundle.config.name == "uploaded")
        #expect(bundle.config.handler == "lambda_function.lambda_handler")
        bundle.removeTemporaryFiles()

        var bad = RawZipWriter()
        bad.file("README.md", "no code")
        #expect(throws: BundleError.noHandler(bundle: "uploaded zip", hint: "add lambda_function.py (defining lambda_handler) or app.py (defining handler), add an executable named bootstrap, or set runtime and handler in fnbox.toml")) {
            try FunctionBundle.open(zipBytes: bad.bytes(), name: "uploaded", extractInto: scratch)
        }
        #expect(BundleFixtures.list(scratch) == [], "a refused bundle's unpacked directory must be removed")
    }

    @Test("a zip whose manifest is bad is refused and its unpacked directory removed")
    func zipWithBadManifest() {
        let scratch = BundleFixtures.makeScratchDirectory("fnbox-zip-bundle")
        defer { BundleFixtures.remove(scratch) }
        var zip = RawZipWriter()
        zip.file("app.py", "")
        zip.file("fnbox.toml", "memroy = 512\n")
        #expect(throws: BundleError.unknownKey(file: "fnbox.toml", key: "memroy", suggestion: "memory")) {
            try FunctionBundle.open(zipBytes: zip.bytes(), name: "f", extractInto: scratch)
        }
        #expect(BundleFixtures.list(scratch) == [])
    }

    @Test("a path that doesn't exist is refused")
    func missingBundle() {
        #expect(throws: BundleError.notFound(path: "/nonexistent/fnbox/bundle")) {
            try FunctionBundle.open("/nonexistent/fnbox/bundle")
        }
    }
}
