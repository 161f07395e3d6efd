#if Vapor
    import FayeLoopbackSupport
    import FayeTestSupport
    import FayeVapor
    import Testing
    import Vapor

    /// Runs a Vapor application on a free loopback port with `routes`, gives its port to `body`.
    private func withVapor(_ routes: (Application) -> Void, _ body: (Application, Int) async throws -> Void)
        async throws
    {
        let app = try await Application.make(Environment(name: "testing", arguments: ["vapor"]))
        app.logger.logLevel = .warning
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        routes(app)
        do {
            try await app.server.start(address: nil)
            guard let port = app.http.server.shared.localAddress?.port else { throw SetupError("Vapor did not bind") }
            try await body(app, port)
        } catch {
            await app.server.shutdown()
            try? await app.asyncShutdown()
            throw error
        }
        await app.server.shutdown()
        try await app.asyncShutdown()
    }

    @Suite("FayeVapor routes")
    struct FayeVaporRouteTests {
        @Test("fayeWebSocketSession: messages in order through the sequence; the session's return closes with 1000")
        func session() async throws {
            try await withVapor { app in
                app.get("chat") { req in
                    req.fayeWebSocketSession { socket in
                        for try await message in socket.messages {
                            if message == .text("bye") { return }
                            try await socket.send(message)
                        }
                    }
                }
            } _: { _, port in
                let socket = try await FayeWebSocket.WebSocket.connect(to: "ws://127.0.0.1:\(port)/chat")
                for index in 0..<50 { _ = socket.send("\(index)") }
                var messages = socket.messages.makeAsyncIterator()
                for index in 0..<50 { #expect(try await messages.next() == .text("\(index)")) }
                _ = socket.send("bye")
                #expect(await socket.finalCloseEvent().code == .normalClosure)
            }
        }

        @Test("a route that does not call fayeWebSocket answers as usual; the app keeps serving sockets")
        func otherRoutes() async throws {
            try await withVapor { app in
                app.get("plain") { _ in "plain" }
                app.get("echo") { req in req.fayeWebSocket { socket in _ = socket.echoMessages() } }
            } _: { _, port in
                let plain = try await DemoServerChecks.rawRequest(
                    port: port, "GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(plain.status == 200 && plain.body == "plain")
                try await FayeWebSocket.WebSocket.withConnection(to: "ws://127.0.0.1:\(port)/echo") { socket in
                    try await socket.send(.text("hi"))
                    var messages = socket.messages.makeAsyncIterator()
                    #expect(try await messages.next() == .text("hi"))
                }
            }
        }

        @Test("fayeEventSource: a chunked stream from Last-Event-ID, tracked until closeAll() ends it")
        func eventSources() async throws {
            try await withVapor { app in
                app.get("events") { req in
                    req.fayeEventSource { source in
                        try? source.send("after \(source.lastEventId)", id: "42")
                    }
                }
            } _: { app, port in
                let socket = try RawSocket(port: port)
                try await socket.write(
                    "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nLast-Event-ID: 41\r\n\r\n")
                let (opened, _) = await socket.read(for: .seconds(10)) { bytes in
                    String(decoding: bytes, as: UTF8.self).contains("data: after 41\r\n\r\n")
                }
                let head = String(decoding: opened, as: UTF8.self).lowercased()
                #expect(head.hasPrefix("http/1.1 200 ok\r\n"))
                #expect(head.contains("content-type: text/event-stream"))
                #expect(head.contains("transfer-encoding: chunked"))
                #expect(app.fayeEventSources.count == 1)
                app.fayeEventSources.closeAll()
                let (rest, _) = await socket.read(for: .seconds(10)) { bytes in
                    String(decoding: bytes, as: UTF8.self).hasSuffix("0\r\n\r\n")
                }
                #expect(String(decoding: rest, as: UTF8.self).hasSuffix("0\r\n\r\n"))
                let sources = app.fayeEventSources
                try await eventually("the stream to be forgotten") { sources.count == 0 }
            }
        }
    }
#endif
