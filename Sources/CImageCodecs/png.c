// PNG decoding and encoding over libpng's full API. libpng reports errors by longjmp
// from its error callback, which only C can catch; everything else lives in Swift.
#include "CImageCodecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    jmp_buf jump;
    char *message;
    size_t message_size;
} sk_png_errors;

static void sk_png_error(png_structp png, png_const_charp text) {
    sk_png_errors *errors = (sk_png_errors *)png_get_error_ptr(png);
    snprintf(errors->message, errors->message_size, "%s", text);
    longjmp(errors->jump, 1);
}

// Warnings (a bad ancillary chunk, say) do not stop decoding, as in TensorFlow.
static void sk_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
} sk_png_reader;

static void sk_png_read(png_structp png, png_bytep out, png_size_t count) {
    sk_png_reader *reader = (sk_png_reader *)png_get_io_ptr(png);
    if (count > reader->size - reader->offset) {
        png_error(png, "truncated PNG data (the file ends inside a chunk)");
    }
    memcpy(out, reader->data + reader->offset, count);
    reader->offset += count;
}

void sk_free(void *pointer) { free(pointer); }

int sk_png_decode(const unsigned char *data, size_t size, int channels, size_t max_bytes,
                  unsigned char **pixels, int *width, int *height, int *out_channels,
                  char *message, size_t message_size) {
    *pixels = NULL;
    if (channels < 0 || channels > 4) {
        snprintf(message, message_size, "unsupported channel count %d", channels);
        return -1;
    }
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(message, message_size, "not a PNG file (bad signature)");
        return -1;
    }
    sk_png_errors errors;
    errors.message = message;
    errors.message_size = message_size;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &errors, sk_png_error, sk_png_warning);
    if (!png) {
        snprintf(message, message_size, "out of memory");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    sk_png_reader reader = {data, size, 0};
    // Written after setjmp, read after a longjmp: volatile keeps them out of registers.
    unsigned char *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(errors.jump)) {
        if (!info) snprintf(message, message_size, "out of memory");
        free(buffer);
        free(rows);
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        return -1;
    }
    png_set_read_fn(png, &reader, sk_png_read);
    png_read_info(png, info);

    png_uint_32 w = 0, h = 0;
    int bit_depth = 0, color_type = 0;
    png_get_IHDR(png, info, &w, &h, &bit_depth, &color_type, NULL, NULL, NULL);
    const int has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    const int is_gray = !(color_type & PNG_COLOR_MASK_COLOR);
    const int file_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0 || has_trns;
    if (channels == 0) channels = (is_gray ? 1 : 3) + (file_alpha ? 1 : 0);
    const int want_gray = channels < 3;
    const int want_alpha = channels == 2 || channels == 4;

    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (is_gray && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (want_gray) {
        if (!is_gray) png_set_rgb_to_gray(png, 1, 0.299, 0.587);
    } else if (is_gray) {
        png_set_gray_to_rgb(png);
    }
    if (bit_depth == 16) png_set_strip_16(png);
    if (want_alpha) {
        if (has_trns) {
            png_set_tRNS_to_alpha(png);
        } else if (!(color_type & PNG_COLOR_MASK_ALPHA)) {
            // TensorFlow's filler is the file's largest sample value, so images of 1, 2 or
            // 4 bits get an alpha of 1, 3 or 15 (not 255); kept for identical pixels.
            png_set_add_alpha(png, bit_depth == 16 ? 0xffff : (1u << bit_depth) - 1, PNG_FILLER_AFTER);
        }
    } else if ((color_type & PNG_COLOR_MASK_ALPHA) || has_trns) {
        // Palette expansion turns tRNS into alpha: drop it as an alpha channel is dropped.
        png_set_strip_alpha(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    const size_t row_bytes = png_get_rowbytes(png, info);
    if (png_get_channels(png, info) != channels || row_bytes != (size_t)w * (size_t)channels) {
        png_error(png, "unexpected layout after conversion");
    }
    if (h != 0 && row_bytes > max_bytes / h) {
        snprintf(message, message_size, "image of %u x %u pixels is too large to decode (limit %zu bytes)",
                 (unsigned)w, (unsigned)h, max_bytes);
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    buffer = (unsigned char *)malloc(row_bytes * h + 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (h + 1));
    if (!buffer || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) rows[y] = buffer + (size_t)y * row_bytes;
    png_read_image(png, rows);
    // The end chunk (and its CRC) is not required: TensorFlow stops after the image data too.
    free(rows);
    rows = NULL;
    png_destroy_read_struct(&png, &info, NULL);
    *pixels = buffer;
    *width = (int)w;
    *height = (int)h;
    *out_channels = channels;
    return 0;
}

typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
} sk_png_writer;

static void sk_png_write(png_structp png, png_bytep bytes, png_size_t count) {
    sk_png_writer *writer = (sk_png_writer *)png_get_io_ptr(png);
    if (count > writer->capacity - writer->size) {
        size_t capacity = writer->capacity ? writer->capacity : 4096;
        while (count > capacity - writer->size) capacity *= 2;
        unsigned char *grown = (unsigned char *)realloc(writer->data, capacity);
        if (!grown) png_error(png, "out of memory");
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, bytes, count);
    writer->size += count;
}

static void sk_png_flush(png_structp png) { (void)png; }

int sk_png_encode(const unsigned char *pixels, int width, int height, int channels,
                  unsigned char **out, size_t *out_size, char *message, size_t message_size) {
    *out = NULL;
    *out_size = 0;
    static const int color_types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                      PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || width <= 0 || height <= 0) {
        snprintf(message, message_size, "cannot encode %d x %d pixels with %d channels", width, height, channels);
        return -1;
    }
    sk_png_errors errors;
    errors.message = message;
    errors.message_size = message_size;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errors, sk_png_error, sk_png_warning);
    if (!png) {
        snprintf(message, message_size, "out of memory");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    sk_png_writer writer = {NULL, 0, 0};
    if (!info || setjmp(errors.jump)) {
        if (!info) snprintf(message, message_size, "out of memory");
        free(writer.data);
        png_destroy_write_struct(&png, info ? &info : NULL);
        return -1;
    }
    png_set_write_fn(png, &writer, sk_png_write, sk_png_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, color_types[channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * (size_t)width * (size_t)channels));
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = writer.data;
    *out_size = writer.size;
    return 0;
}
