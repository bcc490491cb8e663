import FnboxRuntime
import FnboxTestSupport
import SystemPackage
import Testing

@Suite("BundleArchiver")
struct BundleArchiverTests {
    @Test("a directory zips to an archive that opens as the same bundle, modes and symlinks kept")
    func roundTrip() throws {
        let dir = BundleFixtures.makeScratchDirectory("fnbox-archiver")
        defer { BundleFixtures.remove(dir) }
        BundleFixtures.writeFile(dir.appending("fnbox.toml"), "name = \"packed\"\nruntime = \"exec\"\nhandler = \"bootstrap\"\nmemory = 256\n")
        BundleFixtures.writeFile(dir.appending("bootstrap"), "#!/bin/sh\ncat\n", mode: 0o755)
        BundleFixtures.writeFile(dir.appending("lib/data.txt"), "data\n")
        BundleFixtures.makeSymlink(dir.appending("link.txt"), to: "lib/data.txt")

        let zip = try BundleArchiver.zip(directory: dir)
        let bundle = try FunctionBundle.open(zipBytes: zip, name: "ignored")
        defer { bundle.removeTemporaryFiles() }
        #expect(bundle.config.name == "packed")
        #expect(bundle.config.runtime == .exec)
        #expect(bundle.config.memoryMB == 256)
        #expect(BundleFixtures.mode(bundle.root.appending("bootstrap")).map { $0 & 0o777 } == 0o755)
        #expect(BundleFixtures.readFile(bundle.root.appending("lib/data.txt")) == Array("data\n".utf8))
        #expect(BundleFixtures.readLink(bundle.root.appending("link.txt")) == "lib/data.txt")
    }

    @Test("the same files zip to the same bytes, so an unchanged bundle keeps its CodeSha256")
    func deterministic() throws {
        let dir = BundleFixtures.makeScratchDirectory("fnbox-archiver")
        defer { BundleFixtures.remove(dir) }
        BundleFixtures.writeFile(dir.appending("app.py"), "def handler(e, c):\n    return 1\n")
        let first = try BundleArchiver.zip(directory: dir)
        BundleFixtures.writeFile(dir.appending("app.py"), "def handler(e, c):\n    return 1\n")
        #expect(try BundleArchiver.zip(directory: dir) == first)
    }

    @Test("a missing directory and a file are refused, naming the path")
    func refusals() throws {
        #expect(throws: BundleError.notFound(path: "/tmp/fnbox-archiver-missing")) {
            try BundleArchiver.zip(directory: "/tmp/fnbox-archiver-missing")
        }
        #expect(throws: BundleError.unsupportedBundle(path: "/etc/hostname")) {
            try BundleArchiver.zip(directory: "/etc/hostname")
        }
    }
}
