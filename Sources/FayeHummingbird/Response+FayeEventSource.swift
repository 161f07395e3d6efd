#if Hummingbird
    public import FayeEventSource
    import HTTPTypes
    public import Hummingbird
    public import NIOCore
    import NIOPosix
    import WebSocketDriver

    extension Request {
        /// This request as our sockets see it. HTTP types keep `Host` as the `:authority`
        /// pseudo-header: it is restored as a `Host` field.
        public func fayeServerRequest(remoteAddress: SocketAddress? = nil, isTLS: Bool = false) -> ServerRequest {
            var fields: [(String, String)] = []
            if let authority = head.authority { fields.append(("Host", authority)) }
            for field in headers { fields.append((field.name.rawName, field.value)) }
            return ServerRequest(
                request: IncomingRequest(
                    method: method.rawValue, target: uri.description, headers: HeaderFields(fields)),
                remoteAddress: remoteAddress,
                isTLS: isTLS
            )
        }

        /// Whether this request opens an EventSource (a `GET` accepting `text/event-stream`).
        public var isFayeEventSourceRequest: Bool { EventSource.isEventSourceRequest(fayeServerRequest().request) }
    }

    extension Response {
        /// One of our EventSource streams as a streaming response body: return it from a route.
        ///
        /// ```swift
        /// router.get("events") { request, _ in
        ///     Response.fayeEventSource(request: request) { source in
        ///         source.onOpen { try? source.send("hello", id: "1") }
        ///     }
        /// }
        /// ```
        ///
        /// `setup` runs on `eventLoop` before the first byte; the stream's
        /// `EventSource/lastEventId` comes from the request. The response body writer's pace
        /// is the stream's backpressure; a client that goes away closes the stream at the next
        /// write (`EventSourceOptions/pingInterval` bounds how long an idle one takes); the
        /// application's graceful shutdown ends the stream after what was sent.
        ///
        /// - Parameters:
        ///   - request: the EventSource request.
        ///   - isTLS: whether the server is TLS (the stream's `url` is then `https:`).
        ///   - eventLoop: the loop the stream's state lives on; by default one of NIO's singleton group.
        ///   - options: custom headers, `retry`, ping interval, close timeout.
        ///   - setup: receives the stream.
        public static func fayeEventSource(
            request: Request,
            isTLS: Bool = false,
            eventLoop: (any EventLoop)? = nil,
            options: EventSourceOptions = EventSourceOptions(),
            setup: @escaping @Sendable (EventSource) -> Void
        ) -> Response {
            let stream = HostedEventStream(
                request: request.fayeServerRequest(isTLS: isTLS), options: options,
                eventLoop: eventLoop ?? MultiThreadedEventLoopGroup.singleton.any(),
                setup: setup)
            var fields = HTTPFields()
            for field in stream.headers {
                if let name = HTTPField.Name(field.name) { fields.append(HTTPField(name: name, value: field.value)) }
            }
            return Response(
                status: .init(code: stream.status),
                headers: fields,
                body: ResponseBody { writer in
                    await stream.run { buffer in try await writer.write(buffer) }
                    try await writer.finish(nil)
                }
            )
        }
    }
#endif
