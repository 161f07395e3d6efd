/// The peer benchmark's programs: the C reference server, the C load generator and the Go
/// gorilla/websocket server compiled from `Benchmarks/peers/` (into `faye-bench-peers/` beside
/// this executable, every run: a few seconds, and never a stale binary), the node ws script run
/// from there as it is.
struct PeerPrograms {
    /// `Benchmarks/peers/c-echo.c`, compiled with the system `cc -O2` against libcrypto.
    var cEcho: String
    /// `Benchmarks/peers/c-load.c`, the load generator, compiled with the system `cc -O2`.
    var cLoad: String
    /// `Benchmarks/peers/gorilla-echo/main.go`, built by Debian's Go in GOPATH mode.
    var gorillaEcho: String
    /// `Benchmarks/peers/ws-echo.js`, run by `node` with Debian's node-ws on `NODE_PATH`.
    var wsEchoScript: String

    /// Where Debian installs node modules (node-ws) and Go sources (gorilla/websocket).
    static let nodePath = "/usr/share/nodejs"
    static let goPath = "/usr/share/gocode"

    /// `Benchmarks/peers` of the checkout this executable was built from.
    static var defaultSourceDirectory: String {
        // This file is Sources/faye-bench/PeerPrograms.swift in that checkout.
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        return components.joined(separator: "/") + "/Benchmarks/peers"
    }

    /// Compiles the C programs and the Go server from `sources`; throws with the compiler's
    /// output (or what to install) when one cannot be built: a missing peer fails the benchmark.
    static func build(sources: String) throws -> PeerPrograms {
        let cSource = sources + "/c-echo.c"
        let loadSource = sources + "/c-load.c"
        let goSource = sources + "/gorilla-echo/main.go"
        let script = sources + "/ws-echo.js"
        for file in [cSource, loadSource, goSource, script] where MachineState.readFile(file) == nil {
            throw BenchError("peer server source \(file) not found (pass --peers-directory DIR/Benchmarks/peers)")
        }
        let executable = try ExternalCommand.currentExecutable()
        let output =
            String(executable[..<(executable.lastIndex(of: "/") ?? executable.startIndex)]) + "/faye-bench-peers"
        try ExternalCommand.makeDirectory(output + "/gocache")
        let programs = PeerPrograms(
            cEcho: output + "/c-echo", cLoad: output + "/c-load", gorillaEcho: output + "/gorilla-echo",
            wsEchoScript: script)
        do {
            try ExternalCommand.run(["cc", "-O2", "-Wall", "-o", programs.cLoad, loadSource])
        } catch {
            throw BenchError("cannot build the C load generator (needs a C compiler as cc, Debian's gcc): \(error)")
        }
        do {
            try ExternalCommand.run(["cc", "-O2", "-Wall", "-o", programs.cEcho, cSource, "-lcrypto"])
        } catch {
            throw BenchError("cannot build the C echo server (needs cc and libssl-dev): \(error)")
        }
        do {
            try ExternalCommand.run(
                ["go", "build", "-o", programs.gorillaEcho, goSource],
                environment: ["GO111MODULE": "off", "GOPATH": goPath, "GOCACHE": output + "/gocache"])
        } catch {
            throw BenchError(
                "cannot build the gorilla/websocket echo server (needs Debian's golang-go and "
                    + "golang-github-gorilla-websocket-dev): \(error)")
        }
        return programs
    }
}
