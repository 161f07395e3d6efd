/// Filled by issue 3: the sans-IO WebSocket protocol driver.
enum WebSocketDriverModule {}
