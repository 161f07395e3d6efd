// An EventSource is served through FayeWebSocket's server plumbing (`ServerRequest`,
// `ServerResponse`, `FayeServer`, `FayeHTTPHandler`), and the client parses with EventStream;
// re-exporting them spares users more imports.
@_exported public import EventStream
@_exported public import FayeWebSocket
