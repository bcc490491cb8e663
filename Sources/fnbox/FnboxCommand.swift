import ArgumentParser

struct FnboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fnbox",
        abstract: "Run serverless functions in real Linux sandboxes, with AWS Lambda's programming model.",
        discussion: """
            A function is a bundle: a directory or .zip with an optional fnbox.toml and a handler.

              fnbox run examples/hello --event '{"name":"fnbox"}'
            """,
        subcommands: [RunCommand.self, SandboxCommand.self, DeadLettersCommand.self]
    )
}
