import FnboxTestSupport
import Testing

/// After every sandbox: no cgroup directory, mount or process of it is left.
func expectNothingLeftBehind(_ harness: SandboxHarness, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(harness.leftoverCgroups() == [], "cgroup directories left behind", sourceLocation: sourceLocation)
    #expect(SandboxHarness.leftoverMounts() == [], "mounts left behind", sourceLocation: sourceLocation)
    #expect(SandboxHarness.leftoverProcesses() == [], "processes left behind", sourceLocation: sourceLocation)
}
