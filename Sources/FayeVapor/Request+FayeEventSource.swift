#if Vapor
    public import FayeEventSource
    import NIOCore
    public import Vapor

    extension Request {
        /// Whether this request opens an EventSource (a `GET` accepting `text/event-stream`).
        public var isFayeEventSourceRequest: Bool { EventSource.isEventSourceRequest(fayeServerRequest.request) }

        /// Answers the request with one of our EventSource streams, as a streaming response
        /// body: return the response from your route.
        ///
        /// ```swift
        /// app.get("events") { req in
        ///     req.fayeEventSource { source in
        ///         source.onOpen { try? source.send("hello", id: "1") }
        ///     }
        /// }
        /// ```
        ///
        /// `setup` runs on the request's event loop before the first byte; the stream's
        /// `EventSource/lastEventId` comes from the request. Vapor writes the body chunked;
        /// its writer's pace is the stream's backpressure, and a client that goes away closes
        /// the stream at the next write (set `EventSourceOptions/pingInterval` to bound how
        /// long an idle stream takes to notice). The stream is tracked in
        /// ``Vapor/Application/fayeEventSources`` until it closes: close them all before shutting
        /// the server down, since Vapor waits for open responses.
        public func fayeEventSource(
            options: EventSourceOptions = EventSourceOptions(),
            setup: @escaping @Sendable (EventSource) -> Void
        ) -> Response {
            let streams = application.fayeEventSources
            let stream = HostedEventStream(request: fayeServerRequest, options: options, eventLoop: eventLoop) {
                source in
                streams.add(source)
                setup(source)
            }
            return Response(
                status: HTTPResponseStatus(statusCode: stream.status),
                headers: HTTPHeaders(stream.headers.map { ($0.name, $0.value) }),
                body: .init(asyncStream: { writer in
                    await stream.run { buffer in try await writer.writeBuffer(buffer) }
                    try? await writer.write(.end)
                })
            )
        }
    }
#endif
