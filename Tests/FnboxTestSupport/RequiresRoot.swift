import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A prerequisite the test expects to be there: when it is missing the test is recorded as an
/// issue (a failure), not quietly skipped.
public struct MissingPrerequisite: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Integration tests need root (namespaces, mounts, cgroups). CI and the dev machines run as
/// root, so without it the test fails rather than skips.
public struct RequiresRoot: TestTrait, SuiteTrait {
    public var isRecursive: Bool { true }
    public func prepare(for test: Test) async throws {
        guard geteuid() == 0 else { throw MissingPrerequisite("needs root; CI and dev machines run as root") }
    }
}

extension Trait where Self == RequiresRoot {
    public static var requiresRoot: Self { Self() }
}
