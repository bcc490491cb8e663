import ArgumentParser
import FnboxClient

/// `fnbox list`: ListFunctions, every page.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the functions fnboxd has deployed.",
        discussion: """
            One row per function: name, runtime, handler, memory, timeout and when it last changed. \
            --json prints ListFunctions' answer.

              fnbox list
              fnbox list --json | jq -r '.Functions[].FunctionName'
            """
    )

    @OptionGroup var client: ClientOptions

    func run() throws {
        let listed = try client.call { fnboxd throws(FnboxClientError) in try fnboxd.listFunctions() }
        if client.json { return client.printJSON(listed.json) }
        guard !listed.value.isEmpty else { return print("no functions deployed") }
        let table = TextTable(
            header: ["NAME", "RUNTIME", "HANDLER", "MEMORY", "TIMEOUT", "LAST MODIFIED"],
            rows: listed.value.map {
                [$0.FunctionName, $0.Runtime, $0.Handler, "\($0.MemorySize) MB", "\($0.Timeout) s", $0.LastModified]
            })
        print(table.rendered, terminator: "")
    }
}
