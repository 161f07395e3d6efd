#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>
/* permessage-deflate saves and restores the windows of idle streams with deflateGetDictionary
   and inflateGetDictionary, which zlib has since 1.2.9. */
#if ZLIB_VERNUM < 0x1290
#error "swift-faye needs zlib 1.2.9 or later (deflateGetDictionary, inflateGetDictionary)"
#endif
#endif
