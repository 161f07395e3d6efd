/// Filled by issue 4: permessage-deflate (RFC 7692) on the system zlib.
enum PermessageDeflateModule {}
