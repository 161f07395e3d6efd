/// Filled by issue 5 (server) and later issues: sockets on SwiftNIO, the embedded server, the client, TLS.
enum FayeWebSocketModule {}
