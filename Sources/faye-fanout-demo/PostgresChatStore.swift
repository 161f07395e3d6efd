#if PostgresFanOut
    import Logging
    import PostgresNIO

    /// The chat's messages in PostgreSQL: the table `faye_chat` is the ordered log, a notification
    /// on the channel `faye_chat` (carrying the new id) is every instance's doorbell.
    struct PostgresChatStore: ChatStore {
        /// The table (and the notification channel).
        static let table = "faye_chat"
        /// The transaction-level advisory lock that serialises posts (`'faye'` in ASCII).
        static let postLock: Int64 = 0x6661_7965
        /// The advisory lock around the table's creation, so that instances starting together
        /// do not race on `CREATE TABLE IF NOT EXISTS`.
        static let schemaLock: Int64 = 0x6661_7966

        /// The pool that posts and replays use (run by the service group).
        let client: PostgresClient
        /// Where queries log.
        let logger: Logger

        /// Stores `text`, then notifies `faye_chat` with its id, in one transaction.
        ///
        /// The advisory lock taken first makes posts one at a time from taking an id to the
        /// commit, so ids are committed in increasing order: a reader that sees id N sees every
        /// smaller id (without it, a post could take id 5, another id 6 and commit first, and a
        /// reader that saw 6 would skip 5 for good). The notification is sent on commit.
        func post(_ text: String) async throws -> Int64 {
            let logger = self.logger
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.postLock))", logger: logger).drain()
                let rows = try await connection.query(
                    "INSERT INTO faye_chat (body) VALUES (\(text)) RETURNING id", logger: logger)
                var inserted: Int64?
                for try await id in rows.decode(Int64.self) { inserted = id }
                guard let id = inserted else { throw StoreError.noIDReturned }
                try await connection.query("SELECT pg_notify('faye_chat', \(String(id)))", logger: logger).drain()
                return id
            }
        }

        func messages(after id: Int64, limit: Int) async throws -> [ChatMessage] {
            try await Self.messages(
                after: id, limit: limit,
                rows: client.query(
                    "SELECT id, body FROM faye_chat WHERE id > \(id) ORDER BY id LIMIT \(limit)", logger: logger))
        }

        /// The messages of a `SELECT id, body` query, in its order.
        static func messages(after id: Int64, limit: Int, rows: PostgresRowSequence) async throws -> [ChatMessage] {
            var messages: [ChatMessage] = []
            for try await (id, body) in rows.decode((Int64, String).self) {
                messages.append(ChatMessage(id: id, text: body))
            }
            return messages
        }

        /// Creates the table if it is missing; returns the largest id in it (0 when empty), where
        /// this instance's delivery starts.
        static func prepare(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.schemaLock))", logger: logger).drain()
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS faye_chat (
                        id bigserial PRIMARY KEY,
                        body text NOT NULL,
                        created timestamptz NOT NULL DEFAULT now()
                    )
                    """,
                    logger: logger
                ).drain()
            }
            let rows = try await connection.query("SELECT coalesce(max(id), 0)::int8 FROM faye_chat", logger: logger)
            var last: Int64 = 0
            for try await id in rows.decode(Int64.self) { last = id }
            return last
        }

        /// A query's failure that PostgreSQL did not report.
        enum StoreError: Error, CustomStringConvertible {
            /// `INSERT ... RETURNING id` returned no row.
            case noIDReturned

            var description: String { "INSERT ... RETURNING id returned no row" }
        }
    }

    extension PostgresRowSequence {
        /// Reads the rows to the end, dropping them (so the connection is free for the next query).
        func drain() async throws {
            for try await _ in self {}
        }
    }
#endif
