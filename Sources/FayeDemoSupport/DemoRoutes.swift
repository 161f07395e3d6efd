public import WebSocketDriver

/// What the demo servers answer a request that is neither a WebSocket nor an EventSource.
public enum DemoRoutes {
    /// `GET /`: the demo page; anything else: 404.
    public static func plainResponse(for request: IncomingRequest) -> (status: Int, contentType: String, body: String) {
        if request.method == "GET" && request.path == "/" {
            return (200, "text/html; charset=utf-8", DemoPage.html)
        }
        return (404, "text/plain; charset=utf-8", "Not found\n")
    }
}
