#include "COpenSSLShim.h"

#include <stdlib.h>
#include <string.h>

int faye_ssl_ctx_set_proto_versions(SSL_CTX *ctx, int min_version, int max_version) {
    if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) return 0;
    return SSL_CTX_set_max_proto_version(ctx, max_version) == 1;
}

void faye_ssl_ctx_set_defaults(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
}

int faye_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

struct faye_alpn_list {
    unsigned int length;
    unsigned char bytes[];
};

faye_alpn_list *faye_alpn_list_new(const unsigned char *wire, unsigned int length) {
    faye_alpn_list *list = malloc(sizeof(faye_alpn_list) + length);
    if (list == NULL) return NULL;
    list->length = length;
    memcpy(list->bytes, wire, length);
    return list;
}

void faye_alpn_list_free(faye_alpn_list *list) {
    free(list);
}

static int faye_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *out_length,
                            const unsigned char *offered, unsigned int offered_length, void *arg) {
    (void)ssl;
    const faye_alpn_list *list = arg;
    unsigned char *selected = NULL;
    unsigned char selected_length = 0;
    int result = SSL_select_next_proto(&selected, &selected_length, list->bytes, list->length,
                                       offered, offered_length);
    if (result != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    *out_length = selected_length;
    return SSL_TLSEXT_ERR_OK;
}

void faye_ssl_ctx_set_alpn_select(SSL_CTX *ctx, faye_alpn_list *list) {
    SSL_CTX_set_alpn_select_cb(ctx, faye_alpn_select, list);
}
