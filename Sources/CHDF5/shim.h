// HDF5's C API (Debian's libhdf5-dev, serial build: headers in /usr/include/hdf5/serial,
// found through pkg-config's hdf5-serial).
#include <hdf5.h>

// The library's predefined types and property-list classes are C globals behind macros,
// which Swift cannot read safely under strict concurrency; these read them (after H5open).
static inline hid_t h5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t h5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t h5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t h5_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t h5_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t h5_c_string(void) { return H5T_C_S1; }
static inline hid_t h5_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t h5_group_create(void) { return H5P_GROUP_CREATE; }
static inline hid_t h5_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline size_t h5_variable_size(void) { return H5T_VARIABLE; }
static inline unsigned h5_read_only(void) { return H5F_ACC_RDONLY; }
static inline unsigned h5_truncate(void) { return H5F_ACC_TRUNC; }
