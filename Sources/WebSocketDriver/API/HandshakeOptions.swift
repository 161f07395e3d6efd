/// A ``Driver``'s options while its handshake is not sent yet, boxed so that the driver drops
/// them (and their space) once it is.
final class HandshakeOptions {
    var options: DriverOptions

    init(_ options: DriverOptions) {
        self.options = options
    }
}
