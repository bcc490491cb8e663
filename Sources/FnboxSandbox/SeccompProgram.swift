import CFnboxShims

#if canImport(Glibc)
import Glibc
#endif

/// fnbox's seccomp policy as BPF, compiled once per process with libseccomp (in the parent: the
/// child only loads these bytes). See `CShims/seccomp.c` for the rules.
public final class SeccompProgram: Sendable {
    /// The raw `struct sock_filter` array.
    // Immutable after init; the buffer is never written again, so sharing it is safe.
    nonisolated(unsafe) let instructions: UnsafeRawPointer
    let count: UInt32

    private init(instructions: UnsafeRawPointer, count: UInt32) {
        self.instructions = instructions
        self.count = count
    }

    deinit { free(UnsafeMutableRawPointer(mutating: instructions)) }

    /// The compiled policy. Swift initialises globals once, thread-safely.
    public static let shared: Result<SeccompProgram, SpawnError> = {
        var buffer: UnsafeMutableRawPointer?
        var count: UInt32 = 0
        let rc = fnbox_seccomp_compile(&buffer, &count)
        guard rc == 0, let buffer else {
            return .failure(SpawnError(stage: "seccomp_compile", errno: .init(rawValue: -rc)))
        }
        return .success(SeccompProgram(instructions: UnsafeRawPointer(buffer), count: count))
    }()

    /// Number of BPF instructions.
    public var instructionCount: Int { Int(count) }
}
