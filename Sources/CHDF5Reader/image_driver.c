// A read-only, in-memory HDF5 file driver (a "virtual file driver" in HDF5's terms) whose
// read callback checks a local heap's free list before libhdf5 deserializes it. libhdf5
// 1.10.8 (Debian 12's) walks that list until it meets the end marker, allocating a node per
// block, and never notices a list that points back into itself: one 44 KB file made it
// allocate gigabytes inside a single H5Lexists call. The driver sees the memory type of
// every read, so it checks exactly the heaps the library loads; nothing is guessed from
// byte patterns. It does not report the metadata-accumulation feature, so each metadata
// read reaches this callback rather than a cached larger block.
#include "CHDF5Reader.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *bytes;
    size_t size;
} ImageInfo;

typedef struct {
    H5FD_t public; // first, as the library requires
    unsigned char *image;
    size_t size;
    haddr_t eoa;
    unsigned sizeof_offsets, sizeof_lengths;
} ImageFile;

static hid_t driver_id = H5I_INVALID_HID;

#define FAIL(major, minor, ...)                                                                        \
    do {                                                                                               \
        H5Epush2(H5E_DEFAULT, __FILE__, __func__, __LINE__, H5E_ERR_CLS, major, minor, __VA_ARGS__); \
        return -1;                                                                                     \
    } while (0)

/// A little-endian unsigned field of `width` bytes; UINT64_MAX when it does not fit 64 bits.
static uint64_t decode(const unsigned char *p, unsigned width) {
    uint64_t value = 0;
    for (unsigned i = width; i-- > 0;) {
        if (i >= 8) {
            if (p[i] != 0) return UINT64_MAX;
            continue;
        }
        value = value << 8 | p[i];
    }
    return value;
}

/// The free list of the local heap whose header is at `address`: each block lies inside the
/// data segment, is at least as large as its own header (next offset and size), and there are
/// no more blocks than fit, so a list that loops or overlaps itself is refused.
static herr_t check_local_heap(const ImageFile *file, haddr_t address) {
    const unsigned L = file->sizeof_lengths, O = file->sizeof_offsets;
    const size_t header = 8 + 2 * (size_t)L + O; // "HEAP", version, 3 reserved, sizes, address
    if (address > file->size || file->size - address < header) return 0; // short: the library's read fails
    const unsigned char *p = file->image + address;
    if (memcmp(p, "HEAP", 4) != 0) return 0; // not a heap header (the library says so itself)
    const uint64_t data_size = decode(p + 8, L), head = decode(p + 8 + L, L), data = decode(p + 8 + 2 * L, O);
    const uint64_t block_header = 2 * (uint64_t)L, end_marker = 1; // H5HL_FREE_NULL
    if (head == end_marker) return 0;
    if (data > file->size || data_size > file->size - data)
        FAIL(H5E_HEAP, H5E_BADVALUE, "local heap at byte %llu: its %llu-byte data segment at byte %llu lies past the end of the %zu-byte file",
             (unsigned long long)address, (unsigned long long)data_size, (unsigned long long)data, file->size);
    uint64_t offset = head, blocks = 0;
    while (offset != end_marker) {
        if (offset > data_size || data_size - offset < block_header)
            FAIL(H5E_HEAP, H5E_BADVALUE, "local heap at byte %llu: a free block at offset %llu lies outside its %llu-byte data segment",
                 (unsigned long long)address, (unsigned long long)offset, (unsigned long long)data_size);
        if (++blocks > data_size / block_header)
            FAIL(H5E_HEAP, H5E_BADVALUE, "local heap at byte %llu: its free list loops back on itself (more blocks than its %llu-byte data segment holds)",
                 (unsigned long long)address, (unsigned long long)data_size);
        const unsigned char *block = file->image + data + offset;
        const uint64_t next = decode(block, L), size = decode(block + L, L);
        if (size < block_header || size > data_size - offset)
            FAIL(H5E_HEAP, H5E_BADVALUE, "local heap at byte %llu: the free block at offset %llu claims %llu bytes (between %llu and %llu expected)",
                 (unsigned long long)address, (unsigned long long)offset, (unsigned long long)size,
                 (unsigned long long)block_header, (unsigned long long)(data_size - offset));
        offset = next;
    }
    return 0;
}

static H5FD_t *image_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr) {
    (void)name, (void)maxaddr;
    if (flags & (H5F_ACC_RDWR | H5F_ACC_TRUNC | H5F_ACC_CREAT)) {
        H5Epush2(H5E_DEFAULT, __FILE__, __func__, __LINE__, H5E_ERR_CLS, H5E_VFL, H5E_BADVALUE, "the image driver is read-only");
        return NULL;
    }
    const ImageInfo *info = H5Pget_driver_info(fapl);
    if (info == NULL || info->bytes == NULL || info->size < 16) return NULL;
    ImageFile *file = calloc(1, sizeof *file);
    if (file == NULL) return NULL;
    file->image = malloc(info->size);
    if (file->image == NULL) {
        free(file);
        return NULL;
    }
    memcpy(file->image, info->bytes, info->size);
    file->size = info->size;
    // The superblock (at byte 0: callers check the signature) gives the field widths.
    const unsigned version = file->image[8];
    const size_t at = version < 2 ? 13 : 9;
    file->sizeof_offsets = file->image[at];
    file->sizeof_lengths = file->image[at + 1];
    return &file->public;
}

static herr_t image_close(H5FD_t *public) {
    ImageFile *file = (ImageFile *)public;
    free(file->image);
    free(file);
    return 0;
}

static herr_t image_query(const H5FD_t *file, unsigned long *flags) {
    (void)file;
    *flags = H5FD_FEAT_DATA_SIEVE;
    return 0;
}

static haddr_t image_get_eoa(const H5FD_t *public, H5FD_mem_t type) {
    (void)type;
    return ((const ImageFile *)public)->eoa;
}

static herr_t image_set_eoa(H5FD_t *public, H5FD_mem_t type, haddr_t address) {
    (void)type;
    ((ImageFile *)public)->eoa = address;
    return 0;
}

static haddr_t image_get_eof(const H5FD_t *public, H5FD_mem_t type) {
    (void)type;
    return ((const ImageFile *)public)->size;
}

static herr_t image_get_handle(H5FD_t *public, hid_t fapl, void **handle) {
    (void)fapl;
    *handle = ((ImageFile *)public)->image;
    return 0;
}

static herr_t image_read(H5FD_t *public, H5FD_mem_t type, hid_t dxpl, haddr_t address, size_t size, void *buffer) {
    (void)dxpl;
    const ImageFile *file = (const ImageFile *)public;
    if (type == H5FD_MEM_LHEAP && file->sizeof_lengths > 0 && check_local_heap(file, address) < 0) return -1;
    // Past the end reads as zeros, as the core driver does (the library asks for whole blocks).
    memset(buffer, 0, size);
    if (address < file->size) {
        const size_t available = file->size - (size_t)address;
        memcpy(buffer, file->image + address, size < available ? size : available);
    }
    return 0;
}

static herr_t image_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t address, size_t size, const void *buffer) {
    (void)file, (void)type, (void)dxpl, (void)address, (void)size, (void)buffer;
    FAIL(H5E_VFL, H5E_WRITEERROR, "the image driver is read-only");
}

static herr_t image_terminate(void) {
    driver_id = H5I_INVALID_HID;
    return 0;
}

static const H5FD_class_t image_class = {
    .name = "swiftkeras_image",
    .maxaddr = ((haddr_t)1 << 62) - 1,
    .fc_degree = H5F_CLOSE_WEAK,
    .terminate = image_terminate,
    .fapl_size = sizeof(ImageInfo),
    .open = image_open,
    .close = image_close,
    .query = image_query,
    .get_eoa = image_get_eoa,
    .set_eoa = image_set_eoa,
    .get_eof = image_get_eof,
    .get_handle = image_get_handle,
    .read = image_read,
    .write = image_write,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

int64_t sk_hdf5_image_access_list(const void *bytes, size_t size) {
    if (driver_id < 0) driver_id = H5FDregister(&image_class);
    if (driver_id < 0) return -1;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return -1;
    const ImageInfo info = {bytes, size};
    if (H5Pset_driver(fapl, driver_id, &info) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}
