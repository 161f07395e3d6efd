import Foundation
import Testing

/// Keeps the guides and the compiled example code the same text, for every test target. A guide
/// (any Markdown file under Docs/, a DocC catalog or README.md) names a Swift file of a test
/// target in a comment line `<!-- code: Tests/TARGET/Guides/FILE.swift -->`; the fenced `swift`
/// block right after it must equal that file (or, with `#NAME`, the lines between
/// `// guide-begin: NAME` and `// guide-end: NAME` in it). Every example file in a test target's
/// Guides folder must be shown by some guide. The example files themselves are compiled (and
/// exercised) by the test target they live in.
@Suite("Guides show the code the tests compile")
struct GuideCodeTests {
    @Test("every code block marked in a guide equals its Swift file, and every example is shown")
    func guidesMatchTheirCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let references = try GuideReference.all(in: root)
        #expect(!references.isEmpty, "no guide shows any code")
        for reference in references {
            let expected = try reference.expectedCode(root: root)
            #expect(reference.block == expected, "\(reference.guide): the block for \(reference.path) differs")
        }
        let shown = Set(references.map { $0.path.split(separator: "#")[0] })
        let testTargets = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Tests").path)
        var examples = 0
        for target in testTargets.sorted() {
            let folder = root.appendingPathComponent("Tests/\(target)/Guides")
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for file in files.sorted() where file.hasSuffix(".swift") && !file.hasSuffix("Tests.swift") {
                examples += 1
                #expect(shown.contains("Tests/\(target)/Guides/\(file)"), "no guide shows \(target)/Guides/\(file)")
            }
        }
        #expect(examples >= 6, "expected the example files of every guide, found \(examples)")
    }
}

/// One `<!-- code: PATH -->` marker and the fenced block after it.
struct GuideReference {
    var guide: String
    var path: String
    var block: String?

    /// Every marker in README.md, Docs/**/*.md and Sources/*/*.docc/**/*.md.
    static func all(in root: URL) throws -> [GuideReference] {
        var guides = ["README.md"]
        for folder in ["Docs", "Sources"] {
            let enumerator = FileManager.default.enumerator(atPath: root.appendingPathComponent(folder).path)
            while let file = enumerator?.nextObject() as? String {
                guard file.hasSuffix(".md"), folder == "Docs" || file.contains(".docc/") else { continue }
                guides.append("\(folder)/\(file)")
            }
        }
        var references: [GuideReference] = []
        for guide in guides {
            let text = try String(contentsOf: root.appendingPathComponent(guide), encoding: .utf8)
            let lines = text.components(separatedBy: "\n")
            for (index, line) in lines.enumerated() where line.hasPrefix("<!-- code: ") && line.hasSuffix(" -->") {
                let path = String(line.dropFirst("<!-- code: ".count).dropLast(" -->".count))
                references.append(GuideReference(guide: guide, path: path, block: Self.block(after: index, in: lines)))
            }
        }
        return references
    }

    /// The contents of the fenced ```swift block that starts on the next non-empty line.
    static func block(after marker: Int, in lines: [String]) -> String? {
        var index = marker + 1
        while index < lines.count, lines[index].isEmpty { index += 1 }
        guard index < lines.count, lines[index] == "```swift" else { return nil }
        guard let end = lines[(index + 1)...].firstIndex(of: "```") else { return nil }
        return lines[(index + 1)..<end].map { $0 + "\n" }.joined()
    }

    /// The file's text, or the named region of it.
    func expectedCode(root: URL) throws -> String {
        let parts = path.split(separator: "#", maxSplits: 1).map(String.init)
        let text = try String(contentsOf: root.appendingPathComponent(parts[0]), encoding: .utf8)
        guard parts.count == 2 else { return text }
        let lines = text.components(separatedBy: "\n")
        guard let begin = lines.firstIndex(where: { $0.hasSuffix("// guide-begin: \(parts[1])") }),
            let end = lines.firstIndex(where: { $0.hasSuffix("// guide-end: \(parts[1])") }), begin < end
        else { return "(no region \(parts[1]) in \(parts[0]))" }
        return lines[(begin + 1)..<end].map { $0 + "\n" }.joined()
    }
}
