@testable import FnboxCgroups
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("sandbox cgroup names carry their owner's pid")
struct OrphanSweepTests {
    @Test("the owner pid is read from the front of the name, and only from there", arguments: [
        ("1234-hello-abcd1234", Int32?(1234)),
        ("hello-abcd1234", nil),
        ("0-x", nil),
        ("-5-x", nil),
        ("12", nil),
    ])
    func ownerPID(name: String, pid: Int32?) {
        #expect(CgroupManager.ownerPID(ofSandboxNamed: name) == pid)
    }

    @Test("a name made for this process names this process, which is alive")
    func roundTrip() {
        let name = CgroupManager.sandboxName(label: "f-1")
        #expect(CgroupManager.ownerPID(ofSandboxNamed: name) == getpid())
        #expect(CgroupManager.isAlive(getpid()))
        #expect(!CgroupManager.isAlive(Int32.max - 1))
    }
}
