import Prometheus

/// fnboxd's Prometheus metrics (`GET /metrics`), in a registry of the daemon's own so that
/// several daemons in one process (the tests) never share counters.
final class DaemonMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    private static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
        .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(120), .seconds(900),
    ]

    private func descriptor(_ name: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "fnbox", metricName: name, unitName: unit, helpText: help)
    }

    /// One finished invocation: outcome is `success` or the error type.
    func invocation(function: String, outcome: String, duration: Duration, coldStart: Bool) {
        registry.makeCounter(
            descriptor: descriptor("invocations", unit: "total", help: "Invocations by function and outcome."),
            labels: [("function", function), ("outcome", outcome)]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: descriptor("invocation_duration", unit: "seconds", help: "Invocation duration, socket to socket."),
            labels: [("function", function)], buckets: Self.durationBuckets
        ).record(duration)
        let kind = coldStart ? "cold_starts" : "warm_hits"
        registry.makeCounter(
            descriptor: descriptor(kind, unit: "total", help: coldStart ? "Invocations that started an instance." : "Invocations served by a warm instance."),
            labels: [("function", function)]
        ).increment()
    }

    func throttled(function: String) {
        registry.makeCounter(
            descriptor: descriptor("throttles", unit: "total", help: "Invocations refused with 429."),
            labels: [("function", function)]
        ).increment()
    }

    /// The text exposition, with the pool's gauges as they are now.
    func exposition(idle: Int, busy: Int, queued: Int) -> [UInt8] {
        registry.makeGauge(descriptor: descriptor("instances_idle", unit: "", help: "Idle warm instances.")).set(Double(idle))
        registry.makeGauge(descriptor: descriptor("instances_busy", unit: "", help: "Instances serving a call.")).set(Double(busy))
        registry.makeGauge(descriptor: descriptor("queue_depth", unit: "", help: "Calls waiting for capacity.")).set(Double(queued))
        return registry.emitToBuffer()
    }
}
