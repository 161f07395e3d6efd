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

/// A server's ALPN protocol list in wire format (length-prefixed names), in preference order.
typedef struct faye_alpn_list faye_alpn_list;

/// Copies `wire` (length-prefixed protocol names) into a new list; NULL when out of memory.
faye_alpn_list *faye_alpn_list_new(const unsigned char *wire, unsigned int length);

/// Frees a list made by faye_alpn_list_new.
void faye_alpn_list_free(faye_alpn_list *list);

/// Makes the server select, by ALPN, the first protocol of `list` that the client offers (the
/// server's preference); when none matches, no protocol is selected and the handshake goes on.
/// `list` must outlive the context.
void faye_ssl_ctx_set_alpn_select(SSL_CTX *ctx, faye_alpn_list *list);

#endif
