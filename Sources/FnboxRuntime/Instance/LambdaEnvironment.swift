import Foundation

/// The environment a function sees: Lambda's variables, then the function's own. Nothing of the
/// host's environment is passed.
enum LambdaEnvironment {
    static func variables(config: FunctionConfig, options: InstanceOptions) -> [String] {
        var env: [(String, String)] = [
            ("AWS_LAMBDA_FUNCTION_NAME", config.name),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", String(config.memoryMB)),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/\(config.name)"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", logStreamName()),
            ("AWS_REGION", options.region),
            ("AWS_DEFAULT_REGION", options.region),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
            ("_HANDLER", config.handler),
            ("LAMBDA_TASK_ROOT", "/var/task"),
            ("LAMBDA_RUNTIME_DIR", "/var/runtime"),
            ("TZ", ":UTC"),
            ("LANG", "en_US.UTF-8"),
            ("LC_CTYPE", "C.UTF-8"),
            ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin"),
            ("LD_LIBRARY_PATH", "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"),
            ("HOME", "/tmp"),
        ]
        switch config.runtime {
        case .python3:
            env.append(("AWS_EXECUTION_ENV", "AWS_Lambda_python3.11"))
            env.append(("PYTHONPATH", "/var/runtime"))
            env.append(("FNBOX_RUNTIME_FD", "3"))
        case .exec:
            break
        }
        for key in config.environment.keys.sorted() {
            env.append((key, config.environment[key]!))
        }
        return env.map { "\($0.0)=\($0.1)" }
    }

    /// `2019/06/07/[$LATEST]e6f4a0c4241adcd70c262d34c0bbc85c`
    static func logStreamName(date: Date = Date()) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        let day = String(format: "%04d/%02d/%02d", c.year ?? 1970, c.month ?? 1, c.day ?? 1)
        let hex = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return "\(day)/[$LATEST]\(hex)"
    }
}
