#if PostgresFanOut
    import PostgresNIO

    extension PostgresLocation {
        /// The pool's configuration (posts and replays), without TLS.
        var clientConfiguration: PostgresClient.Configuration {
            switch endpoint {
            case .tcp(let host, let port):
                PostgresClient.Configuration(
                    host: host, port: port, username: username, password: password, database: database, tls: .disable)
            case .unixSocket(let path):
                PostgresClient.Configuration(
                    unixSocketPath: path, username: username, password: password, database: database)
            }
        }

        /// A single connection's configuration (the doorbell's listener, the start-up), without
        /// TLS.
        var connectionConfiguration: PostgresConnection.Configuration {
            switch endpoint {
            case .tcp(let host, let port):
                PostgresConnection.Configuration(
                    host: host, port: port, username: username, password: password, database: database, tls: .disable)
            case .unixSocket(let path):
                PostgresConnection.Configuration(
                    unixSocketPath: path, username: username, password: password, database: database)
            }
        }
    }
#endif
