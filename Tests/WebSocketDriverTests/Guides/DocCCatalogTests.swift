import Foundation
import Testing

/// Every library target has a DocC catalog whose landing page curates each top-level public
/// type of the module under a topic, and names at least one article that exists.
@Suite("DocC catalogs curate every public type")
struct DocCCatalogTests {
    static let modules = [
        "WebSocketExtensions", "WebSocketDriver", "PermessageDeflate", "EventStream", "ClientAddress", "FayeWebSocket",
        "FayeEventSource",
    ]

    @Test("each landing page lists every top-level public type and links its articles", arguments: modules)
    func catalog(module: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = root.appendingPathComponent("Sources/\(module)")
        let catalog = sources.appendingPathComponent("\(module).docc")
        let landing = try String(contentsOf: catalog.appendingPathComponent("\(module).md"), encoding: .utf8)
        #expect(landing.hasPrefix("# ``\(module)``\n"))
        let topics = try #require(landing.range(of: "## Topics\n")).upperBound
        let curated = landing[topics...]

        var types: [String] = []
        let declaration = #/^public (?:final )?(?:class|struct|enum|protocol|actor) ([A-Za-z_][A-Za-z0-9_]*)/#
        let enumerator = FileManager.default.enumerator(atPath: sources.path)
        while let file = enumerator?.nextObject() as? String {
            guard file.hasSuffix(".swift") else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                if let match = line.prefixMatch(of: declaration) { types.append(String(match.1)) }
            }
        }
        #expect(!types.isEmpty)
        for type in types {
            let link = type == module ? "``\(module)/\(type)``" : "``\(type)``"
            #expect(curated.contains("- \(link)\n"), "\(module).docc does not curate \(type)")
        }

        let articles = try FileManager.default.contentsOfDirectory(atPath: catalog.path)
            .filter { $0.hasSuffix(".md") && $0 != "\(module).md" }
        #expect(!articles.isEmpty, "\(module).docc has no article")
        for article in articles {
            let name = String(article.dropLast(3))
            #expect(curated.contains("- <doc:\(name)>\n"), "\(module).docc does not curate the article \(name)")
        }
    }
}
