import FnboxSystem

#if canImport(Glibc)
import Glibc
#endif

/// One frame of fnbox's host ↔ runtime protocol (`rootfs/var/runtime/PROTOCOL.md`):
/// a 4-byte big-endian length N, then N bytes: one ASCII type byte and the body.
public struct RuntimeFrame: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        /// host → runtime: JSON header, "\n", event bytes.
        case invoke = 0x49      // "I"
        /// runtime → host: init finished.
        case ready = 0x52       // "R"
        /// runtime → host: init failed; body is the error object; the runtime exits 1.
        case initError = 0x45   // "E"
        /// runtime → host: the marshalled result.
        case success = 0x53     // "S"
        /// runtime → host: the error object of a failed invocation.
        case failure = 0x46     // "F"
    }

    public var kind: Kind
    public var body: [UInt8]

    public init(kind: Kind, body: [UInt8]) {
        self.kind = kind
        self.body = body
    }

    /// The frame as bytes on the wire.
    public func encoded() -> [UInt8] {
        let length = UInt32(body.count + 1)
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 5)
        out.append(UInt8(length >> 24))
        out.append(UInt8((length >> 16) & 0xff))
        out.append(UInt8((length >> 8) & 0xff))
        out.append(UInt8(length & 0xff))
        out.append(kind.rawValue)
        out.append(contentsOf: body)
        return out
    }
}

/// Accumulates bytes from the runtime socket and cuts them into frames.
struct RuntimeFrameDecoder {
    enum DecodeError: Error, CustomStringConvertible {
        case unknownKind(UInt8)
        case tooLarge(Int)
        var description: String {
            switch self {
            case .unknownKind(let k): return "runtime sent a frame of unknown type \(k)"
            case .tooLarge(let n): return "runtime sent a frame of \(n) bytes"
            }
        }
    }

    /// A response frame may carry up to 6 MB of payload plus its error object.
    static let maximumFrame = 16 << 20
    private var buffer: [UInt8] = []

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    mutating func next() throws(DecodeError) -> RuntimeFrame? {
        guard buffer.count >= 4 else { return nil }
        let length = Int(buffer[0]) << 24 | Int(buffer[1]) << 16 | Int(buffer[2]) << 8 | Int(buffer[3])
        guard length >= 1, length <= Self.maximumFrame else { throw .tooLarge(length) }
        guard buffer.count >= 4 + length else { return nil }
        guard let kind = RuntimeFrame.Kind(rawValue: buffer[4]) else { throw .unknownKind(buffer[4]) }
        let body = Array(buffer[5..<(4 + length)])
        buffer.removeFirst(4 + length)
        return RuntimeFrame(kind: kind, body: body)
    }
}
