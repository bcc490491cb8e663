import FnboxAPI
import Logging
import NIOCore
import NIOHTTP1

/// Collects one request at a time (the pipeline handler serialises keep-alive requests),
/// refusing bodies over the route's limit before reading them whole, and writes the answer.
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case reading(HTTPRequestHead, limit: Int, body: ByteBuffer)
        /// Over the limit: the answer went out, the rest is dropped and the connection closed.
        case refusing
    }

    private let router: Router
    private let logger: Logger
    private var state = State.idle

    init(router: Router, logger: Logger) {
        self.router = router
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), _):
            let limit = Router.bodyLimit(method: head.method.rawValue, uri: head.uri)
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                refuse(context: context, limit: limit, uri: head.uri)
                return
            }
            state = .reading(head, limit: limit, body: context.channel.allocator.buffer(capacity: 0))
        case (.body(var chunk), .reading(let head, let limit, var body)):
            if body.readableBytes + chunk.readableBytes > limit {
                refuse(context: context, limit: limit, uri: head.uri)
                return
            }
            state = .idle  // let `body` be uniquely referenced while appending
            body.writeBuffer(&chunk)
            state = .reading(head, limit: limit, body: body)
        case (.end, .reading(let head, _, let body)):
            state = .idle
            dispatch(context: context, head: head, body: body)
        case (.end, .refusing):
            state = .idle
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func refuse(context: ChannelHandlerContext, limit: Int, uri: String) {
        state = .refusing
        let operation = uri.contains("/invocations") ? "InvokeFunction" : "CreateFunction"
        let error = LambdaError.tooLarge("Request must be smaller than \(limit) bytes for the \(operation) operation")
        var response = HTTPResponse.error(error)
        response.headers.append(("Connection", "close"))
        write(response, keepAlive: false, context: context)
    }

    private func dispatch(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer) {
        let (path, query) = Self.split(uri: head.uri)
        let request = HTTPRequest(
            method: head.method.rawValue, path: path, query: query,
            headers: head.headers.map { ($0.name, $0.value) }, body: Array(body.readableBytesView))
        let keepAlive = head.isKeepAlive
        let router = self.router
        let promise = context.eventLoop.makePromise(of: HTTPResponse.self)
        promise.completeWithTask { await router.handle(request) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { response in
            let (handler, context) = bound.value
            handler.write(response, keepAlive: keepAlive, context: context)
        }
    }

    private func write(_ response: HTTPResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.count)")
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    static func split(uri: String) -> (String, String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }
}
