#ifndef SK_HDF5_READER_H
#define SK_HDF5_READER_H

#include <stddef.h>
#include <stdint.h>

/// A file-access property list (an HDF5 `hid_t`; close it with H5Pclose) that opens the
/// HDF5 image `bytes` read-only from memory through SwiftKeras's checking file driver. The
/// driver copies the image when the file is opened, so `bytes` need only live until H5Fopen
/// returns. Returns -1 if the library refuses the driver.
///
/// The driver serves reads as the library's core driver does, and checks each local heap
/// (the names of an old-style group) before the library walks it: libhdf5 1.10 follows a
/// heap's free list without looking for a loop, so a crafted file would make it allocate
/// without end. A bad heap fails the read, with the reason on the HDF5 error stack.
/// Call it under the lock that serializes every HDF5 call, after H5open.
int64_t sk_hdf5_image_access_list(const void *bytes, size_t size);

#endif
