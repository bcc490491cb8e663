import Foundation
import Prometheus

extension DaemonMetrics {
    private func asyncDescriptor(_ name: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "fnbox", metricName: name, unitName: unit, helpText: help)
    }

    /// An async event failed and was put back for another attempt.
    func asyncRetry(function: String) {
        registry.makeCounter(
            descriptor: asyncDescriptor("async_retries", unit: "total", help: "Async events re-queued after a function error."),
            labels: [("function", function)]
        ).increment()
    }

    /// An async event was given up (dead letter); condition is Lambda's (`RetriesExhausted`, ...).
    func deadLetter(function: String, condition: String) {
        registry.makeCounter(
            descriptor: asyncDescriptor("async_dead_letters", unit: "total", help: "Async events given up, by condition."),
            labels: [("function", function), ("condition", condition)]
        ).increment()
    }

    /// The queue's gauges as they are now; call before `exposition`.
    func asyncGauges(_ stats: EventStore.Stats, now: Double) {
        registry.makeGauge(descriptor: asyncDescriptor("async_events_queued", unit: "", help: "Async events waiting to run."))
            .set(Double(stats.queued))
        registry.makeGauge(descriptor: asyncDescriptor("async_events_running", unit: "", help: "Async events running."))
            .set(Double(stats.running))
        registry.makeGauge(descriptor: asyncDescriptor("async_oldest_event_age", unit: "seconds", help: "Age of the oldest stored async event."))
            .set(stats.oldestReceivedAt.map { max(0, now - $0) } ?? 0)
        registry.makeGauge(descriptor: asyncDescriptor("async_dead_letters_stored", unit: "", help: "Dead letters kept in the state dir."))
            .set(Double(stats.deadLetters))
    }
}
