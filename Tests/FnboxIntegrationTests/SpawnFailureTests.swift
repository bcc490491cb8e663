import FnboxRuntime
import FnboxSandbox
import FnboxTestSupport
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A child that fails during setup reports {stage, errno}, and the parent names the stage.
@Suite("sandbox setup failures name their stage", .serialized, .requiresRoot)
struct SpawnFailureTests {
    func spec(executable: String, layout: SandboxLayout) throws -> SandboxSpec {
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        #expect(devNull >= 0)
        return SandboxSpec(
            executable: executable, arguments: [executable], environment: [], newRoot: layout.newRoot,
            mounts: layout.mountTable(), workingDirectory: "/var/task", fds: [devNull, devNull, devNull])
    }

    func layout(bundle: FilePath) throws -> SandboxLayout {
        SandboxLayout(newRoot: "/run/fnbox/root", rootfs: try RootfsLocator.locate(), bundle: bundle)
    }

    @Test("a program that does not exist fails at execve with ENOENT")
    func missingExecutable() throws {
        let bundle = try SandboxHarness.makeBundle([:])
        defer { SandboxHarness.removeBundle(bundle) }
        let s = try spec(executable: "/var/task/nothing-here", layout: layout(bundle: bundle))
        defer { close(s.fds[0]) }
        #expect {
            _ = try Sandbox.spawnBlocking(s)
        } throws: { error in
            let e = error as? SpawnError
            return e?.stage == "execve" && e?.errno == .noSuchFileOrDirectory && e?.subject == "/var/task/nothing-here"
        }
    }

    @Test("a bundle path that does not exist fails at mount, naming the mount target")
    func badMountSource() throws {
        let s = try spec(executable: "/bin/true", layout: layout(bundle: "/nonexistent/fnbox-bundle"))
        defer { close(s.fds[0]) }
        #expect {
            _ = try Sandbox.spawnBlocking(s)
        } throws: { error in
            let e = error as? SpawnError
            return e?.stage == "mount" && e?.errno == .noSuchFileOrDirectory && e?.subject == "/run/fnbox/root/var/task"
                && "\(error)".contains("sandbox setup failed at mount '/run/fnbox/root/var/task'")
        }
    }

    @Test("a sandbox that does start exits with its program's status")
    func startsAndExits() throws {
        let bundle = try SandboxHarness.makeBundle([:])
        defer { SandboxHarness.removeBundle(bundle) }
        var s = try spec(executable: "/bin/sh", layout: layout(bundle: bundle))
        defer { close(s.fds[0]) }
        s.arguments = ["/bin/sh", "-c", "exit 7"]
        let process = try Sandbox.spawnBlocking(s)
        #expect(process.waitBlocking() == .exited(7))
    }
}
