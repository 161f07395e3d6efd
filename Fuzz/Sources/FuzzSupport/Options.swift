public import WebSocketDriver

extension DriverOptions {
    /// Options chosen by one fuzz byte: bits 0–1 pick `maxLength` (default, 0, 16 or 1000
    /// bytes); the caller uses the other bits.
    public static func fuzzed(_ flags: UInt8) -> DriverOptions {
        var options = DriverOptions()
        switch flags & 3 {
        case 1: options.maxLength = 0
        case 2: options.maxLength = 16
        case 3: options.maxLength = 1000
        default: break
        }
        return options
    }
}
