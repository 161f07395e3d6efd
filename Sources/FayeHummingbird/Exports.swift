#if Hummingbird
    @_exported public import FayeEventSource
    @_exported public import FayeWebSocket
#endif
