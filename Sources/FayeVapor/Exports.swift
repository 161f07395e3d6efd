#if Vapor
    @_exported public import FayeEventSource
    @_exported public import FayeWebSocket
#endif
