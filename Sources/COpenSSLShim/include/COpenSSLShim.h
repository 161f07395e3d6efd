#ifndef COPENSSL_SHIM_FUNCTIONS_H
#define COPENSSL_SHIM_FUNCTIONS_H

// Plain functions for OpenSSL macros that Swift cannot import. Nothing else lives here.

#include <openssl/ssl.h>

/// SSL_CTX_set_min_proto_version / SSL_CTX_set_max_proto_version (0 for max: the highest).
int faye_ssl_ctx_set_proto_versions(SSL_CTX *ctx, int min_version, int max_version);

/// The options and modes every context gets: no compression, no renegotiation, buffers
/// released while idle.
void faye_ssl_ctx_set_defaults(SSL_CTX *ctx);

/// SSL_set_tlsext_host_name (SNI).
int faye_ssl_set_server_name(SSL *ssl, const char *name);

#endif
