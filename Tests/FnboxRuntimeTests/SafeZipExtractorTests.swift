import FnboxRuntime
import FnboxTestSupport
import Foundation
import SystemPackage
import Testing

/// A scratch directory `top` holding only `top/parent`, the directory zips are unpacked into.
/// Anything a zip manages to write outside its root shows up as an extra name in either.
private struct Scratch: ~Copyable {
    let top = BundleFixtures.makeScratchDirectory("fnbox-zip")
    var parent: FilePath { top.appending("parent") }

    init() { BundleFixtures.makeDirectories(parent) }
    deinit { BundleFixtures.remove(top) }

    func extract(_ zip: RawZipWriter, limits: SafeZipExtractor.Limits = .lambda) throws(BundleError) -> FilePath {
        try SafeZipExtractor.extract(zipBytes: zip.bytes(), to: parent, limits: limits)
    }

    /// Extracting must fail with `expected`, and leave `top` as it was.
    func expectRefused(_ zip: RawZipWriter, _ expected: BundleError, limits: SafeZipExtractor.Limits = .lambda,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) { try extract(zip, limits: limits) }
        expectNothingWritten(sourceLocation: sourceLocation)
    }

    func expectNothingWritten(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(BundleFixtures.list(top) == ["parent"], "something was written next to the extraction directory", sourceLocation: sourceLocation)
        #expect(BundleFixtures.list(parent) == [], "the extraction directory was left behind", sourceLocation: sourceLocation)
    }
}

@Suite("SafeZipExtractor")
struct SafeZipExtractorTests {
    /// A zip a person would upload: an executable, a directory, a plain file and a symlink.
    static func goodZip() -> RawZipWriter {
        var zip = RawZipWriter()
        zip.directory("lib/")
        zip.file("bootstrap", "#!/bin/sh\necho hi\n", mode: 0o755)
        zip.file("lib/data.txt", "data", mode: 0o600)
        zip.file("deep/a/b/c.txt", "implicit parents")
        zip.file("setuid", "x", mode: 0o4755)
        zip.symlink("link", to: "lib/data.txt")
        return zip
    }

    @Test("a good zip is unpacked into a fresh directory, keeping the execute bit")
    func goodZipUnpacks() throws {
        let scratch = Scratch()
        let root = try scratch.extract(Self.goodZip())
        #expect(root.removingLastComponent() == scratch.parent)
        #expect(root.lastComponent?.string.hasPrefix("fnbox-bundle-") == true)
        #expect(BundleFixtures.list(root) == ["bootstrap", "deep", "lib", "link", "setuid"])
        #expect(BundleFixtures.readFile(root.appending("bootstrap")) == Array("#!/bin/sh\necho hi\n".utf8))
        #expect(BundleFixtures.readFile(root.appending("deep/a/b/c.txt")) == Array("implicit parents".utf8))
        #expect(BundleFixtures.mode(root.appending("bootstrap")).map { $0 & 0o7777 } == 0o755)
        #expect(BundleFixtures.mode(root.appending("lib/data.txt")).map { $0 & 0o7777 } == 0o644)
        #expect(BundleFixtures.mode(root.appending("setuid")).map { $0 & 0o7777 } == 0o755, "setuid must be dropped")
        #expect(BundleFixtures.mode(root).map { $0 & 0o7777 } == 0o755)
        #expect(BundleFixtures.readLink(root.appending("link")) == "lib/data.txt")
    }

    @Test("a zip file on disk unpacks like the same bytes in memory")
    func zipOnDisk() throws {
        let scratch = Scratch()
        let zips = BundleFixtures.makeScratchDirectory("fnbox-zips")
        defer { BundleFixtures.remove(zips) }
        Self.goodZip().write(to: zips.appending("good.zip"))
        let root = try SafeZipExtractor.extract(zipAt: zips.appending("good.zip"), to: scratch.parent)
        #expect(BundleFixtures.list(root) == ["bootstrap", "deep", "lib", "link", "setuid"])
    }

    /// Made by Python's zipfile: deflated files with real Huffman tables, a directory entry with
    /// the MS-DOS directory bit, and a symlink.
    static let pythonZip = Data(base64Encoded:
        "UEsDBBQAAAAIAAAAIVhELwJSJgAAACQAAAAJAAAAYm9vdHN0cmFwU1bUT8rM0y/O4EpNzshXyEjNyclXSCvKz1VIys8vKS4pSizg"
        + "AgBQSwMEFAAAAAAAAAAhWAAAAAAAAAAAAAAAAAQAAABsaWIvUEsDBBQAAAAIAAAAIVjzLTnyKgIAAMIpAAAMAAAAbGliL2RhdGEu"
        + "dHh0ndjLcdRQAEXBPVEoBB39RTZ8BjAMHrAxYEdPQQb0WnVXOiW919e7+8swvh5+fLoM35/u3n0Z3j7cft0PH26/h89PX789Dref"
        + "l4d/j69vXp6H97ePr65/N8Fmgs0MmwU2K2w22OywOWBzyjulEKSEJIWkhSSGpIYkh6SHJIikiEmKmOjbIEVMUsQkRUxSxCRFTFLE"
        + "JEVMUsQsRcxSxEy/CyliliJmKWKWImYpYpYiZilikSIWKWKRIhY6QUgRixSxSBGLFLFIEYsUsUoRqxSxShGrFLHSoVKKWKWIVYpY"
        + "pYhVitikiE2K2KSITYrYpIiN7hlSxCZFbFLEJkXsUsQuRexSxC5F7FLELkXsdPWUInYpYpciDinikCIOKeKQIg4p4pAiDiniII2Q"
        + "Ig4p4pQiTinilCJOKeKUIk4p4pQiTiniJKAyoSKiGsmoRkKqkZRqJKYayalGgqqRpGokqhqpDeRLasMA0wTTCNMM0xDTFNMYkxwz"
        + "gsxIMiPKjCwzwsxIMyPOjDwzAs1INCPSjEwzQs1INSPWjFwzgs1INiPajGwzws1INyPejHwzAs5IOCPijIwzQs5IOSPmjJwzgs5I"
        + "OiPqjKwzws5IOyPujLwzAs9IPCPyjMwzQs9IPSP2jNwzgs9IPiP6jOwzws9IPyP+jPwzAtBIQCMCjQw0QtBIQSMGjRw0gtBIQiMK"
        + "jSw0wtBIQyMOjTw0AtFIRCMSjUw0QtFIRSMW7X9d9A9QSwMEFAAAAAAAAAAhWARwVBsMAAAADAAAAAQAAABsaW5rbGliL2RhdGEu"
        + "dHh0UEsBAhQDFAAAAAgAAAAhWEQvAlImAAAAJAAAAAkAAAAAAAAAAAAAAO2BAAAAAGJvb3RzdHJhcFBLAQIUAxQAAAAAAAAAIVgA"
        + "AAAAAAAAAAAAAAAEAAAAAAAAAAAAEADtQU0AAABsaWIvUEsBAhQDFAAAAAgAAAAhWPMtOfIqAgAAwikAAAwAAAAAAAAAAAAAAKSB"
        + "bwAAAGxpYi9kYXRhLnR4dFBLAQIUAxQAAAAAAAAAIVgEcFQbDAAAAAwAAAAEAAAAAAAAAAAAAAD/ocMCAABsaW5rUEsFBgAAAAAE"
        + "AAQA1QAAAPECAAAAAA==")!

    @Test("a zip made by Python's zipfile unpacks, inflating its deflated entries")
    func pythonZipUnpacks() throws {
        let scratch = Scratch()
        let root = try SafeZipExtractor.extract(zipBytes: Array(Self.pythonZip), to: scratch.parent)
        #expect(BundleFixtures.list(root) == ["bootstrap", "lib", "link"])
        #expect(BundleFixtures.readFile(root.appending("bootstrap")) == Array("#!/bin/sh\necho hello from bootstrap\n".utf8))
        #expect(BundleFixtures.mode(root.appending("bootstrap")).map { $0 & 0o777 } == 0o755)
        let data = try #require(BundleFixtures.readFile(root.appending("lib/data.txt")))
        #expect(data.count == 10_690)
        #expect(String(decoding: data, as: UTF8.self).hasSuffix("line 199: the quick brown fox jumps over the lazy dog\n"))
        #expect(BundleFixtures.readLink(root.appending("link")) == "lib/data.txt")
    }

    @Test("a hand-made deflate stream of zeros inflates to its size")
    func deflatedZeros() throws {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.deflatedZeros("zeros", count: 100_000)
        let root = try scratch.extract(zip)
        #expect(BundleFixtures.readFile(root.appending("zeros")) == [UInt8](repeating: 0, count: 100_000))
    }

    @Test("an entry with a '..' component is refused and nothing is written",
          arguments: ["../evil", "../../evil", "a/../../evil", "a/../b", "./../evil", "..\\evil", "a\\..\\..\\evil"])
    func dotDotEntry(name: String) {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.file("harmless.txt", "written first in the archive")
        zip.file(name, "evil")
        scratch.expectRefused(zip, .entryEscapesRoot(entry: name))
    }

    @Test("a zip file with ../evil on disk is refused and nothing is written")
    func dotDotEntryOnDisk() {
        let scratch = Scratch()
        let zips = BundleFixtures.makeScratchDirectory("fnbox-zips")
        defer { BundleFixtures.remove(zips) }
        var zip = RawZipWriter()
        zip.file("../evil", "evil")
        zip.write(to: zips.appending("evil.zip"))
        #expect(throws: BundleError.entryEscapesRoot(entry: "../evil")) {
            try SafeZipExtractor.extract(zipAt: zips.appending("evil.zip"), to: scratch.parent)
        }
        scratch.expectNothingWritten()
        #expect(BundleFixtures.list(zips) == ["evil.zip"])
    }

    @Test("an entry with an absolute path is refused and nothing is written")
    func absoluteEntry() {
        let scratch = Scratch()
        let target = scratch.top.appending("absolute-evil").string
        var zip = RawZipWriter()
        zip.file(target, "evil")
        scratch.expectRefused(zip, .absoluteEntryPath(entry: target))
        #expect(!BundleFixtures.exists(FilePath(target)))
    }

    @Test("a symlink pointing outside the root is refused",
          arguments: [
              ("link", "../../etc/passwd"), ("link", "/etc/passwd"), ("link", ".."), ("link", "../parent"),
              ("sub/link", "../../x"), ("link", "a/../../x"), ("link", "./../x"),
          ])
    func escapingSymlink(entry: String, target: String) {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.file("harmless.txt", "x")
        zip.symlink(entry, to: target)
        scratch.expectRefused(zip, .symlinkEscapesRoot(entry: entry, target: target))
    }

    @Test("a symlink that escapes by way of another symlink is refused")
    func chainedSymlinkEscape() {
        // On paper b -> a/../etc/passwd stays inside; on disk a is the root itself, so a/.. is its parent.
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.symlink("a", to: ".")
        zip.symlink("b", to: "a/../etc/passwd")
        scratch.expectRefused(zip, .symlinkEscapesRoot(entry: "b", target: "a/../etc/passwd"))

        var deep = RawZipWriter()
        deep.directory("x/y/")
        deep.symlink("x/y/up", to: "../..")
        deep.symlink("out", to: "x/y/up/..")
        scratch.expectRefused(deep, .symlinkEscapesRoot(entry: "out", target: "x/y/up/.."))
    }

    @Test("a symlink loop is refused")
    func symlinkLoop() {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.symlink("a", to: "b")
        zip.symlink("b", to: "a")
        scratch.expectRefused(zip, .symlinkTooDeep(entry: "a", target: "b"))
    }

    @Test("symlinks that stay inside the root are kept")
    func insideSymlinks() throws {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.file("lib/data.txt", "data")
        zip.symlink("data", to: "lib/data.txt")
        zip.symlink("libdir", to: "lib")
        zip.symlink("lib/back", to: "../data")
        zip.symlink("self", to: ".")
        zip.symlink("dangling", to: "not/there")
        let root = try scratch.extract(zip)
        #expect(BundleFixtures.readLink(root.appending("data")) == "lib/data.txt")
        #expect(BundleFixtures.readLink(root.appending("lib/back")) == "../data")
        #expect(BundleFixtures.readFile(root.appending("libdir/data.txt")) == Array("data".utf8))
        #expect(BundleFixtures.readFile(root.appending("lib/back")) == Array("data".utf8))
        #expect(BundleFixtures.readLink(root.appending("dangling")) == "not/there")
    }

    @Test("an entry below a symlink entry is refused, so nothing is written through it")
    func entryThroughSymlink() {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.directory("real/")
        zip.symlink("lib", to: "real")
        zip.file("lib/x.txt", "through the link")
        scratch.expectRefused(zip, .entryThroughSymlink(entry: "lib/x.txt", link: "lib"))
    }

    @Test("FIFO, device and socket entries are refused",
          arguments: [(UInt32(0o010000), "FIFO"), (0o020000, "character device"), (0o060000, "block device"), (0o140000, "socket")])
    func specialFiles(fileType: UInt32, kind: String) {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.file("harmless.txt", "x")
        zip.special("dev/thing", fileType: fileType)
        scratch.expectRefused(zip, .specialFileEntry(entry: "dev/thing", kind: kind))
    }

    @Test("a duplicate entry is refused", arguments: [("a.txt", "a.txt"), ("dir/", "dir"), ("./a", "a"), ("a/b", "a//b")])
    func duplicates(first: String, second: String) {
        let scratch = Scratch()
        var zip = RawZipWriter()
        if first.hasSuffix("/") { zip.directory(first) } else { zip.file(first, "1") }
        zip.file(second, "2")
        scratch.expectRefused(zip, .duplicateEntry(entry: second))
    }

    @Test("a deflate bomb that declares a small size is stopped at the limit, and nothing is left")
    func lyingBomb() {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.file("small.txt", "fine")
        // About 6 KB compressed, 1 MB inflated, 100 bytes declared.
        zip.deflatedZeros("bomb", count: 1_000_000, declaredSize: 100)
        #expect(zip.bytes().count < 8_000)
        scratch.expectRefused(zip, .unpackedSizeExceeded(limit: 65_536), limits: .init(maxUnpackedBytes: 65_536))
    }

    @Test("an entry that inflates to more than it declares is refused even under the limit")
    func lyingEntry() throws {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.deflatedZeros("liar", count: 5_000, declaredSize: 100)
        let error = try #require(throws: BundleError.self) { try scratch.extract(zip) }
        guard case .entrySizeMismatch(entry: "liar", declared: 100, actual: let actual) = error else {
            Issue.record("expected entrySizeMismatch, got \(error)")
            return
        }
        #expect(actual > 100)
        scratch.expectNothingWritten()
    }

    @Test("declared sizes over the limit are refused before anything is written")
    func declaredTooLarge() {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.add(RawZipEntry(name: "a", payload: Array("a".utf8), uncompressedSize: 3_000_000_000))
        scratch.expectRefused(zip, .unpackedSizeExceeded(limit: 262_144_000))

        var many = RawZipWriter()
        for i in 0..<3 { many.add(RawZipEntry(name: "f\(i)", payload: [], uncompressedSize: 40)) }
        scratch.expectRefused(many, .unpackedSizeExceeded(limit: 100), limits: .init(maxUnpackedBytes: 100))
    }

    @Test("more entries than the limit are refused")
    func tooManyEntries() {
        let scratch = Scratch()
        var zip = RawZipWriter()
        for i in 0..<6 { zip.file("f\(i)", "x") }
        scratch.expectRefused(zip, .tooManyEntries(count: 6, limit: 5), limits: .init(maxEntries: 5))
    }

    @Test("bytes that are not a zip are refused with Lambda's message",
          arguments: [[], Array("hello, this is not a zip file at all".utf8), Array(SafeZipExtractorTests.goodZip().bytes().prefix(60))])
    func notAZip(bytes: [UInt8]) throws {
        let scratch = Scratch()
        let error = try #require(throws: BundleError.self) {
            try SafeZipExtractor.extract(zipBytes: bytes, to: scratch.parent)
        }
        guard case .notAZip = error else {
            Issue.record("expected notAZip, got \(error)")
            return
        }
        #expect(error.description.hasSuffix("Could not unzip uploaded file. Please check your file, then try to upload again."))
        scratch.expectNothingWritten()
    }

    @Test("a zip larger than the zipped-size limit is refused")
    func zippedTooLarge() {
        let scratch = Scratch()
        let zip = Self.goodZip()
        let size = zip.bytes().count
        scratch.expectRefused(zip, .zipTooLarge(size: size, limit: 100), limits: .init(maxZippedBytes: 100))
    }

    @Test("an entry whose CRC-32 is wrong is refused and nothing is left")
    func badChecksum() {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.add(RawZipEntry(name: "a.txt", payload: Array("data".utf8), crc32: 0xDEAD_BEEF))
        scratch.expectRefused(zip, .checksumMismatch(entry: "a.txt"))
    }

    @Test("an encrypted entry is refused")
    func encrypted() {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.add(RawZipEntry(name: "secret", payload: Array("xxxxxxxxxxxx".utf8), flags: 0x0801))
        scratch.expectRefused(zip, .encryptedEntry(entry: "secret"))
    }

    @Test("an MS-DOS zip without unix modes unpacks as plain files")
    func dosZip() throws {
        let scratch = Scratch()
        var zip = RawZipWriter()
        zip.add(RawZipEntry(name: "dir\\file.txt", payload: Array("x".utf8), unixMode: nil))
        let root = try scratch.extract(zip)
        #expect(BundleFixtures.readFile(root.appending("dir/file.txt")) == Array("x".utf8))
        #expect(BundleFixtures.mode(root.appending("dir/file.txt")).map { $0 & 0o777 } == 0o644)
    }
}
