import FnboxRuntime
import FnboxTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Each test runs a probe inside a real sandbox and checks what it saw.
@Suite("what a function can see and do", .serialized, .requiresRoot)
struct IsolationTests {
    let harness: SandboxHarness
    init() throws { harness = try SandboxHarness() }

    private func probe(_ body: String, timeoutSeconds: Int = 3, mounts: [FunctionMount] = []) throws -> [String: Any] {
        let source = "import os, errno, socket, ctypes\ndef handler(event, context):\n" +
            body.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n"
        let result = try harness.runPython(source, timeoutSeconds: timeoutSeconds, mounts: mounts)
        #expect(result.status == .success, "probe failed: \(String(decoding: result.payload, as: UTF8.self))")
        return try #require(SandboxHarness.object(result.payload))
    }

    @Test("capabilities are all gone, no_new_privs is set and seccomp is in filter mode")
    func credentials() throws {
        let r = try probe("""
            status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
            return {k: status[k].strip() for k in ("CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Uid", "Gid")}
            """)
        #expect(r["CapEff"] as? String == "0000000000000000")
        #expect(r["CapPrm"] as? String == "0000000000000000")
        #expect(r["CapInh"] as? String == "0000000000000000")
        #expect(r["CapBnd"] as? String == "0000000000000000")
        #expect(r["CapAmb"] as? String == "0000000000000000")
        #expect(r["NoNewPrivs"] as? String == "1")
        #expect(r["Seccomp"] as? String == "2")
        #expect((r["Uid"] as? String)?.hasPrefix("993\t") == true)
        #expect((r["Gid"] as? String)?.hasPrefix("990\t") == true)
        expectNothingLeftBehind(harness)
    }

    @Test("PID 1 inside is the sandbox's own runtime, and no host process is visible")
    func pidNamespace() throws {
        let r = try probe("""
            pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
            return {"me": os.getpid(), "pid1": open("/proc/1/cmdline").read().split("\\0")[0], "count": len(pids)}
            """)
        #expect(r["me"] as? Int == 1)
        #expect(r["pid1"] as? String == "/usr/bin/python3")
        #expect((r["count"] as? Int ?? 99) <= 2)
    }

    @Test("the network namespace has only lo, up, and no way to the host's loopback")
    func network() throws {
        // A listener on the host's loopback that the sandbox must not reach.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) == 0 && listen(listener, 4) == 0 && getsockname(listener, $0, &len) == 0 }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: addr.sin_port))
        // The check can fail: the host side really is reachable from the host.
        let hostSide = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(hostSide) }
        var peer = addr
        let hostConnected = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(hostSide, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        #expect(hostConnected, "the host listener must be reachable from the host, or the sandbox check proves nothing")

        let r = try probe("""
            ifaces = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect(("127.0.0.1", \(port)))
                reach = "connected"
            except OSError as e:
                reach = errno.errorcode.get(e.errno, str(e))
            u = socket.socket()
            u.bind(("127.0.0.1", 0)); u.listen(1)
            v = socket.create_connection(u.getsockname(), timeout=2)
            return {"ifaces": ifaces, "reach": reach, "own_loopback": True, "hostname": socket.gethostname()}
            """)
        #expect(r["ifaces"] as? [String] == ["lo"])
        #expect(r["reach"] as? String == "ECONNREFUSED")
        #expect(r["own_loopback"] as? Bool == true)
        #expect(r["hostname"] as? String == "fnbox")
    }

    @Test("the bundle is read-only, /tmp is writable, and the root is read-only")
    func filesystemWrites() throws {
        let r = try probe("""
            out = {}
            for path in ("/var/task/new.txt", "/new.txt", "/etc/new.txt", "/usr/new.txt", "/tmp/new.txt"):
                try:
                    open(path, "w").write("x")
                    out[path] = "ok"
                except OSError as e:
                    out[path] = errno.errorcode.get(e.errno, str(e))
            return out
            """)
        #expect(r["/var/task/new.txt"] as? String == "EROFS")
        #expect(r["/new.txt"] as? String == "EROFS")
        #expect(r["/etc/new.txt"] as? String == "EROFS")
        #expect(r["/usr/new.txt"] as? String == "EROFS")
        #expect(r["/tmp/new.txt"] as? String == "ok")
    }

    @Test("host files are invisible: no /work, /root, /home, host /etc/shadow or host sockets")
    func hostInvisible() throws {
        let r = try probe("""
            return {
                "root_entries": sorted(os.listdir("/")),
                "shadow": os.path.exists("/etc/shadow"),
                "etc": sorted(os.listdir("/etc")),
                "dev": sorted(os.listdir("/dev")),
                "mounts": open("/proc/self/mountinfo").read(),
            }
            """)
        let root = try #require(r["root_entries"] as? [String])
        for hidden in ["work", "root", "home", "run", "sys", "srv", "boot", "media"] {
            #expect(!root.contains(hidden), "/\(hidden) is visible")
        }
        #expect(r["shadow"] as? Bool == false)
        #expect((r["etc"] as? [String])?.contains("passwd") == true)
        #expect(Set(r["dev"] as? [String] ?? []) == Set(["null", "zero", "full", "random", "urandom", "fd", "stdin", "stdout", "stderr"]))
        // The mount points (field 5 of mountinfo) are exactly the sandbox's own: nothing else of
        // the host is mounted. (Field 4 names each bind's source path on its filesystem, as with
        // any bind mount; the path is visible, the rest of that filesystem is not.)
        let mounts = try #require(r["mounts"] as? String)
        let points = Set(mounts.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 4 ? String(fields[4]) : nil
        })
        let expected: Set<String> = ["/", "/usr", "/etc", "/var/runtime", "/var/task", "/proc", "/dev", "/dev/null", "/dev/zero",
                                     "/dev/full", "/dev/random", "/dev/urandom", "/tmp"]
        #expect(points == expected)
    }

    @Test("a configured [[mount]] is visible under /mnt, read-only unless asked otherwise")
    func userMounts() throws {
        let dir = try SandboxHarness.makeBundle(["data.txt": "shared"])
        defer { SandboxHarness.removeBundle(dir) }
        let out = try SandboxHarness.makeBundle([:])
        defer { SandboxHarness.removeBundle(out) }
        chmod(out.string, 0o777)
        let r = try probe("""
            res = {"read": open("/mnt/data/data.txt").read()}
            try:
                open("/mnt/data/x", "w").write("x"); res["ro"] = "ok"
            except OSError as e:
                res["ro"] = errno.errorcode.get(e.errno)
            open("/mnt/out/result.txt", "w").write("written")
            return res
            """, mounts: [FunctionMount(source: dir.string, target: "/mnt/data"),
                         FunctionMount(source: out.string, target: "/mnt/out", readOnly: false)])
        #expect(r["read"] as? String == "shared")
        #expect(r["ro"] as? String == "EROFS")
        #expect((try? String(contentsOfFile: out.string + "/result.txt", encoding: .utf8)) == "written")
    }

    @Test("syscalls a function never needs answer EPERM", arguments: [
        "mount", "umount2", "pivot_root", "unshare", "setns", "ptrace", "bpf", "keyctl", "add_key", "request_key",
        "kexec_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
        "perf_event_open", "userfaultfd", "open_by_handle_at", "process_vm_readv", "process_vm_writev",
        "clock_settime", "settimeofday", "acct", "quotactl", "iopl", "ioperm", "sethostname",
    ])
    func blockedSyscall(name: String) throws {
        let numbers: [String: Int] = [
            "mount": 165, "umount2": 166, "pivot_root": 155, "unshare": 272, "setns": 308, "ptrace": 101, "bpf": 321,
            "keyctl": 250, "add_key": 248, "request_key": 249, "kexec_load": 246, "init_module": 175,
            "finit_module": 313, "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168,
            "perf_event_open": 298, "userfaultfd": 323, "open_by_handle_at": 304, "process_vm_readv": 310,
            "process_vm_writev": 311, "clock_settime": 227, "settimeofday": 164, "acct": 163, "quotactl": 179,
            "iopl": 172, "ioperm": 173, "sethostname": 170,
        ]
        let nr = try #require(numbers[name])
        // getpid (39) is allowed: the probe's own check that ctypes' syscall path works at all.
        let r = try probe("""
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            ok = libc.syscall(39)
            ctypes.set_errno(0)
            rc = libc.syscall(\(nr), 0, 0, 0, 0, 0, 0)
            return {"allowed": ok, "rc": rc, "errno": ctypes.get_errno()}
            """)
        #expect(r["allowed"] as? Int == 1)
        #expect(r["rc"] as? Int == -1)
        #expect(r["errno"] as? Int == Int(EPERM), "\(name) answered errno \(r["errno"] ?? "?")")
    }

    @Test("clone with a new namespace flag is refused, plain fork still works")
    func cloneNamespaces() throws {
        let r = try probe("""
            import subprocess
            libc = ctypes.CDLL(None, use_errno=True)
            rc = libc.syscall(272, 0x10000000)  # unshare(CLONE_NEWUSER)
            e1 = ctypes.get_errno()
            out = subprocess.run(["/bin/echo", "forked"], capture_output=True, text=True).stdout.strip()
            return {"unshare": rc, "errno": e1, "fork": out}
            """)
        #expect(r["unshare"] as? Int == -1)
        #expect(r["errno"] as? Int == Int(EPERM))
        #expect(r["fork"] as? String == "forked")
    }
}
