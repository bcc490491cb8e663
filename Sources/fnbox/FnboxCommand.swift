import ArgumentParser

struct FnboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fnbox",
        abstract: "Run serverless functions in real Linux sandboxes, with AWS Lambda's programming model.",
        discussion: """
            A function is a bundle: a directory or .zip with an optional fnbox.toml and a handler. \
            `run` calls it once in a fresh sandbox; deploy, invoke, list, delete and status talk to \
            fnboxd on its Unix socket (--socket, or FNBOX_SOCKET).

              fnbox run examples/hello --event '{"name":"fnbox"}'
              fnbox deploy examples/hello && fnbox invoke hello --event '{"name":"fnbox"}' --log
            """,
        subcommands: [
            RunCommand.self, DeployCommand.self, InvokeCommand.self, ListCommand.self, DeleteCommand.self,
            StatusCommand.self, DeadLettersCommand.self, SandboxCommand.self,
        ]
    )
}
