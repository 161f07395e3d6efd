/// Filled by issue 8: the EventSource (Server-Sent Events) streamer.
enum FayeEventSourceModule {}
