// A minimal Open MPI interface loaded at run time (dlopen), so SwiftKeras builds and runs
// without MPI installed. Every function returns an MPI error code (0 is MPI_SUCCESS), or one
// of the CMPI_* codes below. Buffers are reduced in place.
#ifndef CMPI_H
#define CMPI_H

#include <stddef.h>
#include <stdint.h>

/// The library is not loaded (cmpi_load failed or was not called).
#define CMPI_NOT_LOADED (-1)
/// A collective did not complete within its time limit.
#define CMPI_TIMED_OUT (-2)

typedef enum { CMPI_FLOAT = 0, CMPI_DOUBLE = 1, CMPI_BYTE = 2, CMPI_INT32 = 3, CMPI_UINT64 = 4 } cmpi_type;
typedef enum { CMPI_SUM = 0, CMPI_MAX = 1 } cmpi_op;

/// Loads `path` (e.g. "libmpi.so.40") and its symbols; on failure writes why into `error`.
int cmpi_load(const char *path, char *error, size_t capacity);
/// MPI_Init_thread(MPI_THREAD_SERIALIZED) on the world communicator, whose errors are then
/// returned rather than fatal; MPI_Finalize runs at exit.
int cmpi_init(int *provided);
int cmpi_initialized(int *flag);
int cmpi_rank(int *rank);
int cmpi_size(int *size);
/// The rank among the processes of this host (MPI_Comm_split_type, MPI_COMM_TYPE_SHARED).
int cmpi_local_rank(int *rank);
/// MPI_Iallreduce in place on each of `buckets` buffers, then waits for all of them at most
/// `timeout` seconds (CMPI_TIMED_OUT after that).
int cmpi_allreduce(void *const *buffers, const int64_t *counts, int buckets, cmpi_type type, cmpi_op op,
                   double timeout);
/// MPI_Ibcast from `root`, waiting at most `timeout` seconds.
int cmpi_bcast(void *buffer, int64_t count, cmpi_type type, int root, double timeout);
/// MPI_Iallgatherv: rank r's `count` values land at `displacements[r]` of `received`.
int cmpi_allgatherv(const void *send, int count, void *received, const int *counts, const int *displacements,
                    cmpi_type type, double timeout);
int cmpi_barrier(double timeout);
/// MPI_Abort on the world communicator: every process of the job ends.
void cmpi_abort(int code);
int cmpi_finalize(void);
/// MPI's text for an error code.
void cmpi_error_string(int code, char *text, size_t capacity);

#endif
