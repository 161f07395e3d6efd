extension Payloads {
    private static let names: [String] = [
        "Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Dennis Ritchie", "Ken Thompson",
        "Margaret Hamilton", "Edsger Dijkstra", "Donald Knuth", "Frances Allen", "John McCarthy",
        "Leslie Lamport", "Radia Perlman", "Tony Hoare", "Niklaus Wirth",
    ]
    /// Names that are not ASCII, used in about one record in sixteen.
    private static let otherNames: [String] = [
        "José Álvarez", "Zoë Brontë", "Jürgen Müller", "Łukasz Nowak", "Søren Kierkegaard",
    ]
    private static let cities = ["London", "Paris", "Berlin", "Tokyo", "Lagos", "Lima", "Oslo", "Austin", "Pune"]
    private static let tags = ["admin", "beta", "staff", "trial", "mobile", "desktop", "api", "ops"]

    /// Text in the shape of what applications send: a JSON array of user records (numbers,
    /// short strings, a timestamp, booleans, a tag list), ASCII but for about one record in
    /// sixteen whose name is accented. Cut at a record boundary, closed, and padded with spaces
    /// (insignificant in JSON) to exactly `count` bytes; below one record's size, one small
    /// object padded the same way.
    static func json(count: Int, seed: UInt64 = 3) -> [UInt8] {
        var generator = Generator(state: seed)
        var bytes: [UInt8] = Array("[".utf8)
        var first = true
        while true {
            let random = generator.next()
            let name =
                random % 16 == 0
                ? otherNames[Int((random >> 8) % UInt64(otherNames.count))]
                : names[Int((random >> 8) % UInt64(names.count))]
            let id = 100_000 + Int((random >> 16) % 900_000)
            let login = name.lowercased().split(separator: " ").joined(separator: ".")
            let score = Double((random >> 24) % 10_000) / 100
            let day = 1 + Int((random >> 40) % 28)
            let tagCount = 1 + Int((random >> 48) % 3)
            let recordTags = (0..<tagCount).map { "\"\(tags[Int((random >> (52 + $0 * 3)) % UInt64(tags.count))])\"" }
            let record =
                "{\"id\":\(id),\"name\":\"\(name)\",\"email\":\"\(login)@example.com\","
                + "\"created\":\"2026-11-\(day < 10 ? "0" : "")\(day)T12:00:00Z\",\"score\":\(score),"
                + "\"active\":\(random & 1 == 0),\"tags\":[\(recordTags.joined(separator: ","))],"
                + "\"city\":\"\(cities[Int((random >> 56) % UInt64(cities.count))])\"}"
            let next = Array(((first ? "" : ",") + record).utf8)
            // Room for the record and the closing bracket.
            guard bytes.count + next.count + 1 <= count else { break }
            bytes += next
            first = false
        }
        if first {
            // Not even one record fits: the smallest object instead.
            bytes = Array("{\"n\":1}".utf8)
            if bytes.count > count { bytes = Array(repeating: 0x20, count: count) }
        } else {
            bytes.append(UInt8(ascii: "]"))
        }
        while bytes.count < count { bytes.append(0x20) }
        return bytes
    }
}
