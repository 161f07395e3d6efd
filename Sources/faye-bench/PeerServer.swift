/// The servers `faye-bench peers` measures, each started the same way: a process of its own,
/// pinned to one core, speaking the port-on-stdout protocol of ``PinnedServerProcess``.
enum PeerServer: CaseIterable {
    /// `faye-server`'s echo (``OurEchoServer``), in a `faye-bench idle-probe --server ours` child.
    case ours
    /// The plain NIO echo server (``NIOEchoServer``), in a `faye-bench idle-probe --server nio` child.
    case nio
    /// Go gorilla/websocket.
    case gorilla
    /// node ws.
    case node
    /// The C echo server's work in one NIO channel handler (``NIOFloorEchoServer``), in a
    /// `faye-bench idle-probe --server nio-floor` child: the floor of any server on NIO channels.
    case nioFloor
    /// The minimal C echo server: the ceiling.
    case c

    /// The references, in the order of the report.
    static let references: [PeerServer] = [.nio, .gorilla, .node, .nioFloor, .c]

    var label: String {
        switch self {
        case .ours: "faye-server"
        case .nio: "raw NIO"
        case .gorilla: "Go gorilla/websocket"
        case .node: "node ws"
        case .nioFloor: "NIO floor"
        case .c: "C echo server"
        }
    }

    /// Starts this server pinned to `core`.
    func start(programs: PeerPrograms, core: Int) throws -> PinnedServerProcess {
        switch self {
        case .ours, .nio, .nioFloor:
            let kind =
                switch self {
                case .ours: "ours"
                case .nio: "nio"
                default: "nio-floor"
                }
            let probe = [try ExternalCommand.currentExecutable(), "idle-probe", "--server", kind]
            return try PinnedServerProcess(name: label, arguments: probe, core: core)
        case .gorilla:
            return try PinnedServerProcess(name: label, arguments: [programs.gorillaEcho], core: core)
        case .node:
            do {
                return try PinnedServerProcess(
                    name: label, arguments: ["node", programs.wsEchoScript],
                    environment: ["NODE_PATH": PeerPrograms.nodePath], core: core)
            } catch {
                throw BenchError("\(error) (needs Debian's nodejs and node-ws)")
            }
        case .c:
            return try PinnedServerProcess(name: label, arguments: [programs.cEcho], core: core)
        }
    }
}
