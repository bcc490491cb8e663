import Foundation

/// A real nginx (Debian's package) running `deploy/nginx/fnbox.conf`, with the socket and port
/// rewritten for the test.
final class NginxHarness: @unchecked Sendable {
    struct Missing: Error, CustomStringConvertible { var description: String }

    let port: Int
    let directory: String
    private let process = Process()

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// - Parameter serverSnippet: extra directives put in the `server { }` before `location /`.
    init(socketPath: String, serverSnippet: String = "") throws {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let nginx else { throw Missing(description: "nginx is not installed (apt-get install nginx)") }
        port = try Self.freePort()
        directory = "/tmp/fnbox-nginx-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let site = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("deploy/nginx/fnbox.conf"), encoding: .utf8)
            .replacingOccurrences(of: "unix:/run/fnbox/fnboxd.sock", with: "unix:\(socketPath)")
            .replacingOccurrences(of: "listen 127.0.0.1:9000;", with: "listen 127.0.0.1:\(port);")
            .replacingOccurrences(of: "    location / {", with: serverSnippet + "\n    location / {")
        try site.write(toFile: "\(directory)/fnbox.conf", atomically: true, encoding: .utf8)
        let main = """
        user root;
        worker_processes 1;
        pid \(directory)/nginx.pid;
        error_log \(directory)/error.log warn;
        events { worker_connections 256; }
        http {
            access_log off;
            client_body_temp_path \(directory)/body;
            proxy_temp_path \(directory)/proxy;
            fastcgi_temp_path \(directory)/fastcgi;
            uwsgi_temp_path \(directory)/uwsgi;
            scgi_temp_path \(directory)/scgi;
            include \(directory)/fnbox.conf;
        }
        """
        try main.write(toFile: "\(directory)/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: nginx)
        process.arguments = ["-p", directory, "-c", "\(directory)/nginx.conf", "-g", "daemon off;"]
        _ = FileManager.default.createFile(atPath: "\(directory)/stderr.log", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: "\(directory)/stderr.log")
        try process.run()
        // Ready when the port accepts.
        for _ in 0..<100 {
            if Self.canConnect(port: port) { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        let log = ["error.log", "stderr.log"].compactMap { try? String(contentsOfFile: "\(directory)/\($0)", encoding: .utf8) }.joined()
        stop()
        throw Missing(description: "nginx did not start: \(log)")
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw Missing(description: "cannot find a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
