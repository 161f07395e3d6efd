import FayeEventSource
import FayeWebSocket
import Logging

/// The chat's routes on the embedded server (`GET /healthz` is the server's own):
///
/// - `GET /`: the chat page;
/// - `POST /messages`: a UTF-8 body (at most ``FanOutLimits/maxMessageBytes``, 413 beyond) is
///   stored and published; `201` with `{"id":N}`;
/// - `/chat`: a WebSocket (``ChatSocket``);
/// - `/events`: an EventSource (``ChatEventStream``), resuming after `Last-Event-ID`.
///
/// Every answer names the instance in `X-Faye-Instance`.
struct ChatResponder: Sendable {
    /// The response header naming the instance that answered.
    static let instanceHeader = "X-Faye-Instance"

    /// This instance's name (`--instance`).
    let instance: String
    /// The shared table.
    let store: any ChatStore
    /// This instance's clients.
    let hub: ChatHub
    /// Where failures are logged.
    let logger: Logger

    /// The server's responder.
    var responder: FayeHTTPHandler.Responder {
        let chat = self
        return { request in await chat.respond(to: request) }
    }

    /// Answers one request.
    func respond(to request: ServerRequest) async -> ServerResponse {
        let path = request.request.path
        let method = request.request.method
        switch path {
        case "/chat" where request.isWebSocket:
            let (hub, store, logger) = (self.hub, self.store, self.logger)
            return .webSocket(options: ChatSocket.options(instance: instance)) { socket in
                ChatSocket.serve(socket, hub: hub, store: store, logger: logger)
            }
        case "/events" where request.isEventSource:
            let (hub, store, logger) = (self.hub, self.store, self.logger)
            return .eventSource(options: eventSourceOptions) { source in
                ChatEventStream.serve(source, hub: hub, store: store, logger: logger)
            }
        case "/messages" where method == "POST":
            return await post(request.request.body)
        case "/" where method == "GET":
            return answer(200, "text/html; charset=utf-8", ChatPage.html)
        case "/chat":
            return answer(426, "text/plain; charset=utf-8", "/chat is a WebSocket\n")
        case "/events":
            return answer(406, "text/plain; charset=utf-8", "/events is an EventSource (Accept: text/event-stream)\n")
        case "/messages":
            var response = answer(405, "text/plain; charset=utf-8", "POST a message here\n")
            response.headers.append(name: "Allow", value: "POST")
            return response
        default:
            return answer(404, "text/plain; charset=utf-8", "Not found\n")
        }
    }

    /// `POST /messages`: the body must be UTF-8 without NUL (400 otherwise); the server has
    /// already refused one over the limit with 413.
    private func post(_ body: [UInt8]) async -> ServerResponse {
        // Invalid UTF-8 decodes with replacement characters, which do not encode back the same.
        let text = String(decoding: body, as: UTF8.self)
        guard text.utf8.elementsEqual(body) else {
            return answer(400, "text/plain; charset=utf-8", "the body must be UTF-8\n")
        }
        guard ChatMessage.isStorable(text) else {
            return answer(400, "text/plain; charset=utf-8", "the body must not contain NUL characters\n")
        }
        do {
            let id = try await store.post(text)
            return answer(201, "application/json", "{\"id\":\(id)}\n")
        } catch {
            logger.warning("post failed: \(String(reflecting: error))")
            return answer(503, "text/plain; charset=utf-8", "the message could not be stored\n")
        }
    }

    /// The streams' options: `retry:` ``FanOutLimits/retryMilliseconds``, a keep-alive comment
    /// every ``FanOutLimits/eventSourcePingSeconds``, the instance's name.
    private var eventSourceOptions: EventSourceOptions {
        var options = EventSourceOptions()
        options.retry = .milliseconds(FanOutLimits.retryMilliseconds)
        options.pingInterval = .seconds(FanOutLimits.eventSourcePingSeconds)
        options.headers = [Self.instanceHeader: instance]
        return options
    }

    private func answer(_ status: Int, _ contentType: String, _ body: String) -> ServerResponse {
        ServerResponse(
            status: status,
            headers: ["Content-Type": contentType, Self.instanceHeader: instance, "Cache-Control": "no-store"],
            body: Array(body.utf8))
    }
}
