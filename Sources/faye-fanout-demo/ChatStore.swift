/// Where the chat's messages are kept: the table every instance shares, an ordered log.
protocol ChatStore: Sendable {
    /// Stores `text` and rings every instance's doorbell (a notification carrying the id).
    ///
    /// Ids are given out in commit order: a reader that sees a message sees every message with
    /// a smaller id, so reading "after the last id seen" never skips one.
    /// - Returns: the new message's id.
    func post(_ text: String) async throws -> Int64

    /// The stored messages with an id greater than `id`, in id order, at most `limit` of them.
    func messages(after id: Int64, limit: Int) async throws -> [ChatMessage]
}
