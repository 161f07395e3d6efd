import FayeWebSocket
import Logging

/// One WebSocket client of the chat: every message delivered to this instance goes to it as a
/// text frame (`{"id":N,"text":"..."}`), and every text message it sends is posted, in the order
/// sent, exactly as `POST /messages` does.
enum ChatSocket {
    /// The WebSocket options of `/chat`: messages up to ``FanOutLimits/maxMessageBytes`` (1009
    /// beyond), a client that lets ``FanOutLimits/maxBufferedBytes`` pile up dropped (1008), and
    /// the instance's name in the handshake response.
    static func options(instance: String) -> WebSocketOptions {
        var options = WebSocketOptions()
        options.maxLength = FanOutLimits.maxMessageBytes
        options.maxBufferedAmount = FanOutLimits.maxBufferedBytes
        options.bufferedAmountHighWaterMark = FanOutLimits.maxBufferedBytes / 4
        options.headers = [ChatResponder.instanceHeader: instance]
        return options
    }

    /// Serves `socket`: subscribes it to `hub`, posts what it sends to `store`. Call it from the
    /// WebSocket's setup closure (before the handshake, so no message is missed).
    static func serve(_ socket: WebSocket, hub: ChatHub, store: any ChatStore, logger: Logger) {
        let token = hub.subscribe { messages in
            for message in messages { socket.send(message.json) }
        }
        socket.onClose { _ in hub.unsubscribe(token) }
        socket.runSession { socket in
            // One message at a time: posted in the order sent, and a client that sends faster
            // than the table takes them is read no faster (the sequence's backpressure).
            for try await message in socket.messages {
                guard case .text(let text) = message else {
                    _ = try? socket.close(code: .unsupportedData, reason: "text messages only")
                    return
                }
                guard ChatMessage.isStorable(text) else {
                    _ = try? socket.close(code: .invalidPayloadData, reason: "no NUL characters")
                    return
                }
                do {
                    _ = try await store.post(text)
                } catch {
                    logger.warning("websocket post failed: \(String(reflecting: error))")
                    _ = try? socket.close(code: .internalError, reason: "the message could not be stored")
                    return
                }
            }
        }
    }
}
