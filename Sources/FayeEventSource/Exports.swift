// An EventSource is served through FayeWebSocket's server plumbing (`ServerRequest`,
// `ServerResponse`, `FayeServer`, `FayeHTTPHandler`); re-exporting it spares users a second import.
@_exported public import FayeWebSocket
