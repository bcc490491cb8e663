import ArgumentParser
import FnboxAPI
import FnboxClient
import Foundation

struct DeadLettersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List the Event invocations fnboxd gave up on for a function, or send one back to the queue.",
        discussion: """
            fnboxd keeps every async event it gave up on (retries exhausted, event too old) in its state \
            dir, with the reason and the last error. --redrive puts one back in the queue with its request \
            id and a fresh age.

              fnbox dead-letters resize
              fnbox dead-letters resize --redrive 3
            """
    )

    @Argument(help: "The function's name.")
    var name: String

    @Option(help: "Put this dead letter (its Id) back in the queue.")
    var redrive: Int64?

    @OptionGroup var client: ClientOptions

    func run() throws {
        if let redrive {
            let requestID = try client.call { fnboxd throws(FnboxClientError) in try fnboxd.redrive(name, deadLetter: redrive) }
            print("re-queued dead letter \(redrive) as request \(requestID)")
            return
        }
        let answer = try client.call { fnboxd throws(FnboxClientError) in try fnboxd.deadLetters(name) }
        if client.json {
            client.printJSON(answer.json)
            return
        }
        if answer.value.isEmpty { print("no dead letters for \(name)") }
        let formatter = ISO8601DateFormatter()
        for letter in answer.value {
            var line = "\(letter.Id)\t\(letter.RequestId)\t\(letter.Condition)\tattempts=\(letter.ApproximateInvokeCount)"
            line += "\t\(formatter.string(from: Date(timeIntervalSince1970: letter.FailedAt)))"
            if let text = letter.ResponsePayload,
               let error = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] {
                line += "\t\(error["errorType"] ?? ""): \(error["errorMessage"] ?? "")"
            }
            print(line)
        }
    }
}
