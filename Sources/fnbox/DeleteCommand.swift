import ArgumentParser
import FnboxClient

/// `fnbox delete`: DeleteFunction.
struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a function from fnboxd, with its warm instances.",
        discussion: """
            An unknown name is an error (ResourceNotFoundException, exit 1).

              fnbox delete hello
            """
    )

    @Argument(help: "The function's name.")
    var name: String

    @OptionGroup var client: ClientOptions

    func run() throws {
        try client.call { fnboxd throws(FnboxClientError) in try fnboxd.deleteFunction(name) }
        if client.json { return client.printJSON(Array(#"{"Deleted":true}"#.utf8)) }
        print("deleted \(name)")
    }
}
