#if PostgresFanOut
    import Logging
    import PostgresNIO
    import ServiceLifecycle

    /// This instance's doorbell: one dedicated connection that `LISTEN`s on `faye_chat`. On each
    /// notification (and every ``FanOutLimits/sweepSeconds`` without one) it reads the rows after
    /// the last id delivered, in id order, and hands them to the hub, so that order holds and
    /// nothing is skipped even when notifications coalesce or are lost. Messages posted here come
    /// back the same way: every instance delivers one order.
    ///
    /// When the connection drops, it logs it, reconnects with a growing delay (up to
    /// ``FanOutLimits/maxReconnectDelayMilliseconds``) and catches up from the last id
    /// delivered. It stops with the service group's graceful shutdown.
    final class ChatFeed: Service, Sendable {
        private let location: PostgresLocation
        private let hub: ChatHub
        private let logger: Logger
        private let startAfter: Int64

        /// A feed that delivers the messages after `startAfter` to `hub`.
        init(location: PostgresLocation, hub: ChatHub, startAfter: Int64, logger: Logger) {
            self.location = location
            self.hub = hub
            self.startAfter = startAfter
            self.logger = logger
        }

        /// Listens, reconnecting, until the graceful shutdown or a cancellation.
        func run() async {
            await cancelWhenGracefulShutdown {
                await self.listenForever()
            }
        }

        private func listenForever() async {
            var last = startAfter
            var delay: Int64 = 100
            var connectionID = 0
            while !Task.isCancelled {
                connectionID += 1
                do {
                    let connection = try await PostgresConnection.connect(
                        configuration: location.connectionConfiguration, id: connectionID, logger: logger)
                    do {
                        try await listen(on: connection, after: &last) { delay = 100 }
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                    try? await connection.close()
                } catch  where Task.isCancelled {
                    return
                } catch {
                    logger.warning(
                        "LISTEN connection to \(location) lost: \(String(reflecting: error)); again in \(delay) ms")
                }
                try? await Task.sleep(for: .milliseconds(delay))
                delay = min(delay * 2, FanOutLimits.maxReconnectDelayMilliseconds)
            }
        }

        /// Listens on `connection` until it fails: catches up once `LISTEN` is in place (what was
        /// posted while no one listened), then at each ring of the doorbell.
        private func listen(
            on connection: PostgresConnection, after last: inout Int64, connected: () -> Void
        ) async throws {
            try await connection.listen(on: PostgresChatStore.table) { notifications in
                try await catchUp(on: connection, after: &last)
                logger.info("listening on \(PostgresChatStore.table) at \(location), delivered up to \(last)")
                connected()
                // Rings coalesce: one read serves every notification that came before it.
                let (rings, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Each ringer ends the rings when it stops: the connection failed, or the
                    // feed was cancelled. Only the notifications' end is an error.
                    group.addTask {
                        defer { ring.finish() }
                        do {
                            for try await _ in notifications { ring.yield() }
                        } catch {
                            throw FeedError.notificationsFailed(error)
                        }
                        throw FeedError.notificationsEnded
                    }
                    group.addTask {
                        defer { ring.finish() }
                        while !Task.isCancelled {
                            try? await Task.sleep(for: .seconds(FanOutLimits.sweepSeconds))
                            ring.yield()
                        }
                    }
                    for await _ in rings {
                        try await catchUp(on: connection, after: &last)
                    }
                    group.cancelAll()
                    try await group.waitForAll()  // why the notifications ended
                }
            }
        }

        /// Reads and delivers every row after `last`, page by page.
        private func catchUp(on connection: PostgresConnection, after last: inout Int64) async throws {
            while true {
                let rows = try await connection.query(
                    "SELECT id, body FROM faye_chat WHERE id > \(last) ORDER BY id LIMIT \(FanOutLimits.pageSize)",
                    logger: logger)
                let page = try await PostgresChatStore.messages(after: last, limit: FanOutLimits.pageSize, rows: rows)
                guard let newest = page.last else { return }
                hub.deliver(page)
                last = newest.id
                if page.count < FanOutLimits.pageSize { return }
            }
        }

        /// Why listening stopped.
        enum FeedError: Error, CustomStringConvertible {
            /// The notification sequence ended: the connection is gone.
            case notificationsEnded
            /// The notification sequence failed with this error (the connection's).
            case notificationsFailed(any Error)

            var description: String {
                switch self {
                case .notificationsEnded: "the notifications ended (connection closed)"
                case .notificationsFailed(let error): "the notifications failed: \(String(reflecting: error))"
                }
            }
        }
    }
#endif
