#ifndef SK_IMAGE_CODECS_H
#define SK_IMAGE_CODECS_H

#include <stddef.h>

/// Decodes a PNG held in memory to 8-bit pixels with `channels` (1 gray, 2 gray+alpha, 3 RGB,
/// 4 RGBA; 0 keeps the file's own), converting as TensorFlow's decode_png does: palettes and
/// low bit depths expanded, 16-bit samples reduced to their high byte, RGB to gray with
/// libpng's ITU-R 601 weights (truncated), gray replicated to RGB, alpha added as 255 (or from
/// tRNS) or dropped. No gamma correction.
///
/// On success returns 0, sets *pixels (free with sk_free), *width, *height and *channels.
/// On failure returns -1 and writes a message. Images with more than max_bytes of pixels
/// are refused before any allocation.
int sk_png_decode(const unsigned char *data, size_t size, int channels, size_t max_bytes,
                  unsigned char **pixels, int *width, int *height, int *out_channels,
                  char *message, size_t message_size);

/// Encodes 8-bit pixels (channels 1-4, rows top to bottom) as a PNG in memory.
/// On success returns 0 and sets *out (free with sk_free) and *out_size.
int sk_png_encode(const unsigned char *pixels, int width, int height, int channels,
                  unsigned char **out, size_t *out_size, char *message, size_t message_size);

void sk_free(void *pointer);

#endif
