import Testing

@testable import faye_fanout_demo

@Suite("faye-fanout-demo's PostgreSQL URL")
struct PostgresLocationTests {
    @Test("host, port, user, password and database, percent-decoded")
    func tcp() throws {
        let location = try PostgresLocation(parsing: "postgres://chat%20user:p%40ss@db.example:6432/faye_chat")
        #expect(location.endpoint == .tcp(host: "db.example", port: 6432))
        #expect(location.username == "chat user")
        #expect(location.password == "p@ss")
        #expect(location.database == "faye_chat")
    }

    @Test("defaults: user postgres, port 5432, no database; a bracketed IPv6 host")
    func defaults() throws {
        let location = try PostgresLocation(parsing: "postgresql://[::1]")
        #expect(location.endpoint == .tcp(host: "::1", port: 5432))
        #expect(location.username == "postgres")
        #expect(location.password == nil)
        #expect(location.database == nil)
        #expect(location.description == "postgres@[::1]:5432/postgres")
    }

    @Test("a Unix socket: ?host=/dir (with its port in the socket name), or no host at all")
    func unixSocket() throws {
        let inDirectory = try PostgresLocation(parsing: "postgres://faye@/chat?host=/tmp/pg&port=5433")
        #expect(inDirectory.endpoint == .unixSocket(path: "/tmp/pg/.s.PGSQL.5433"))
        #expect(inDirectory.database == "chat")
        let standard = try PostgresLocation(parsing: "postgres:///chat")
        #expect(standard.endpoint == .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5432"))
    }

    @Test(
        "refused: another scheme, a bad port, a bad escape, an unknown parameter, TLS asked for",
        arguments: [
            "mysql://db/chat", "postgres://db:0/chat", "postgres://db:70000/chat", "postgres://db:x/chat",
            "postgres://us%zzer@db/chat", "postgres://us%ffer@db/chat", "postgres://db/chat?timeout=3",
            "postgres://db/chat?sslmode=require", "postgres://[::1/chat",
        ])
    func refused(url: String) {
        #expect(throws: PostgresLocation.ParseError.self) { try PostgresLocation(parsing: url) }
    }

    @Test("Last-Event-ID: a non-negative integer resumes after it; anything else starts live")
    func resumePoint() {
        #expect(ChatEventStream.resumePoint("41") == 41)
        #expect(ChatEventStream.resumePoint("0") == 0)
        #expect(ChatEventStream.resumePoint("") == nil)
        #expect(ChatEventStream.resumePoint("-1") == nil)
        #expect(ChatEventStream.resumePoint("abc") == nil)
    }
}
