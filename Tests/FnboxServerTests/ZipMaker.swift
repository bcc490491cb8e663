import Foundation
import ZIPFoundation

/// Builds bundle zips in memory.
enum ZipMaker {
    static func zip(_ files: [String: String]) throws -> [UInt8] {
        let archive = try Archive(accessMode: .create)
        for (path, contents) in files.sorted(by: { $0.key < $1.key }) {
            let data = Data(contents.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count),
                                 permissions: 0o755, compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return Array(data)
    }

    static func base64(_ files: [String: String]) throws -> String {
        Data(try zip(files)).base64EncodedString()
    }
}
