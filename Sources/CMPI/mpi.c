// Open MPI through dlopen: handles are pointers to the library's predefined globals
// (MPI_COMM_WORLD is &ompi_mpi_comm_world, MPI_FLOAT &ompi_mpi_float, ...), so no mpi.h is
// needed to build. Nonblocking collectives are polled with MPI_Testall against a deadline:
// a peer that stops answering ends the wait instead of hanging it.
#define _GNU_SOURCE
#include "CMPI.h"

#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef void *handle;
#define IN_PLACE ((void *)1)
#define THREAD_SERIALIZED 2
#define COMM_TYPE_SHARED 0
#define MAX_ERROR_STRING 256

static struct {
    int loaded;
    handle world, errors_return, types[5], ops[2];
    int (*init_thread)(int *, char ***, int, int *);
    int (*initialized)(int *);
    int (*finalized)(int *);
    int (*finalize)(void);
    int (*comm_rank)(handle, int *);
    int (*comm_size)(handle, int *);
    int (*comm_split_type)(handle, int, int, handle, handle *);
    int (*comm_free)(handle *);
    int (*comm_set_errhandler)(handle, handle);
    int (*iallreduce)(const void *, void *, int, handle, handle, handle, handle *);
    int (*ibcast)(void *, int, handle, int, handle, handle *);
    int (*iallgatherv)(const void *, int, handle, void *, const int *, const int *, handle, handle, handle *);
    int (*ibarrier)(handle, handle *);
    int (*testall)(int, handle *, int *, void *);
    int (*abort)(handle, int);
    int (*error_string)(int, char *, int *);
    handle info_null;
} mpi;

int cmpi_load(const char *path, char *error, size_t capacity) {
    if (mpi.loaded) return 0;
    // RTLD_GLOBAL: Open MPI's own plugins resolve libmpi's symbols when it loads them.
    void *lib = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
        snprintf(error, capacity, "%s", dlerror());
        return CMPI_NOT_LOADED;
    }
    const char *missing = NULL;
#define SYMBOL(field, name)                                  \
    do {                                                     \
        *(void **)(&mpi.field) = dlsym(lib, name);           \
        if (!mpi.field && !missing) missing = name;          \
    } while (0)
    SYMBOL(world, "ompi_mpi_comm_world");
    SYMBOL(errors_return, "ompi_mpi_errors_return");
    SYMBOL(info_null, "ompi_mpi_info_null");
    SYMBOL(types[CMPI_FLOAT], "ompi_mpi_float");
    SYMBOL(types[CMPI_DOUBLE], "ompi_mpi_double");
    SYMBOL(types[CMPI_BYTE], "ompi_mpi_byte");
    SYMBOL(types[CMPI_INT32], "ompi_mpi_int32_t");
    SYMBOL(types[CMPI_UINT64], "ompi_mpi_uint64_t");
    SYMBOL(ops[CMPI_SUM], "ompi_mpi_op_sum");
    SYMBOL(ops[CMPI_MAX], "ompi_mpi_op_max");
    SYMBOL(init_thread, "MPI_Init_thread");
    SYMBOL(initialized, "MPI_Initialized");
    SYMBOL(finalized, "MPI_Finalized");
    SYMBOL(finalize, "MPI_Finalize");
    SYMBOL(comm_rank, "MPI_Comm_rank");
    SYMBOL(comm_size, "MPI_Comm_size");
    SYMBOL(comm_split_type, "MPI_Comm_split_type");
    SYMBOL(comm_free, "MPI_Comm_free");
    SYMBOL(comm_set_errhandler, "MPI_Comm_set_errhandler");
    SYMBOL(iallreduce, "MPI_Iallreduce");
    SYMBOL(ibcast, "MPI_Ibcast");
    SYMBOL(iallgatherv, "MPI_Iallgatherv");
    SYMBOL(ibarrier, "MPI_Ibarrier");
    SYMBOL(testall, "MPI_Testall");
    SYMBOL(abort, "MPI_Abort");
    SYMBOL(error_string, "MPI_Error_string");
#undef SYMBOL
    if (missing) {
        snprintf(error, capacity, "%s has no symbol %s (SwiftKeras loads Open MPI)", path, missing);
        return CMPI_NOT_LOADED;
    }
    mpi.loaded = 1;
    return 0;
}

static void finalize_at_exit(void) {
    int finalized = 1;
    if (mpi.loaded && mpi.finalized(&finalized) == 0 && !finalized) mpi.finalize();
}

int cmpi_init(int *provided) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    int code = mpi.init_thread(NULL, NULL, THREAD_SERIALIZED, provided);
    if (code != 0) return code;
    atexit(finalize_at_exit);
    return mpi.comm_set_errhandler(mpi.world, mpi.errors_return);
}

int cmpi_initialized(int *flag) { return mpi.loaded ? mpi.initialized(flag) : CMPI_NOT_LOADED; }
int cmpi_rank(int *rank) { return mpi.loaded ? mpi.comm_rank(mpi.world, rank) : CMPI_NOT_LOADED; }
int cmpi_size(int *size) { return mpi.loaded ? mpi.comm_size(mpi.world, size) : CMPI_NOT_LOADED; }

int cmpi_local_rank(int *rank) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    int world_rank = 0;
    int code = mpi.comm_rank(mpi.world, &world_rank);
    if (code != 0) return code;
    handle local = NULL;
    code = mpi.comm_split_type(mpi.world, COMM_TYPE_SHARED, world_rank, mpi.info_null, &local);
    if (code != 0) return code;
    code = mpi.comm_rank(local, rank);
    mpi.comm_free(&local);
    return code;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/// Polls the requests until all complete or `timeout` seconds pass. Open MPI advances
/// nonblocking collectives inside these calls; the yield lets an oversubscribed peer run.
static int wait_all(int count, handle *requests, double timeout) {
    double deadline = now_seconds() + timeout;
    for (unsigned polls = 0;; polls++) {
        int done = 0;
        int code = mpi.testall(count, requests, &done, NULL);
        if (code != 0) return code;
        if (done) return 0;
        if ((polls & 255) == 255 && now_seconds() > deadline) return CMPI_TIMED_OUT;
        sched_yield();
    }
}

// Counts past INT_MAX are split: each piece is one request.
#define PIECE ((int64_t)1 << 30)
static const size_t type_sizes[5] = {4, 8, 1, 4, 8};

int cmpi_allreduce(void *const *buffers, const int64_t *counts, int buckets, cmpi_type type, cmpi_op op,
                   double timeout) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    int pieces = 0;
    for (int b = 0; b < buckets; b++) pieces += (int)((counts[b] + PIECE - 1) / PIECE);
    handle *requests = calloc(pieces > 0 ? (size_t)pieces : 1, sizeof(handle));
    if (!requests) return CMPI_NOT_LOADED;
    int started = 0, code = 0;
    for (int b = 0; b < buckets && code == 0; b++) {
        for (int64_t first = 0; first < counts[b] && code == 0; first += PIECE) {
            int64_t n = counts[b] - first < PIECE ? counts[b] - first : PIECE;
            char *start = (char *)buffers[b] + first * (int64_t)type_sizes[type];
            code = mpi.iallreduce(IN_PLACE, start, (int)n, mpi.types[type], mpi.ops[op], mpi.world, &requests[started]);
            if (code == 0) started++;
        }
    }
    if (code == 0) code = wait_all(started, requests, timeout);
    free(requests);
    return code;
}

int cmpi_bcast(void *buffer, int64_t count, cmpi_type type, int root, double timeout) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    for (int64_t first = 0; first < count; first += PIECE) {
        int64_t n = count - first < PIECE ? count - first : PIECE;
        handle request = NULL;
        int code = mpi.ibcast((char *)buffer + first * (int64_t)type_sizes[type], (int)n, mpi.types[type], root,
                              mpi.world, &request);
        if (code == 0) code = wait_all(1, &request, timeout);
        if (code != 0) return code;
    }
    return 0;
}

int cmpi_allgatherv(const void *send, int count, void *received, const int *counts, const int *displacements,
                    cmpi_type type, double timeout) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    handle request = NULL;
    int code = mpi.iallgatherv(send, count, mpi.types[type], received, counts, displacements, mpi.types[type],
                               mpi.world, &request);
    return code == 0 ? wait_all(1, &request, timeout) : code;
}

int cmpi_barrier(double timeout) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    handle request = NULL;
    int code = mpi.ibarrier(mpi.world, &request);
    return code == 0 ? wait_all(1, &request, timeout) : code;
}

void cmpi_abort(int code) {
    if (mpi.loaded) mpi.abort(mpi.world, code);
    _exit(code);
}

int cmpi_finalize(void) { return mpi.loaded ? mpi.finalize() : CMPI_NOT_LOADED; }

void cmpi_error_string(int code, char *text, size_t capacity) {
    if (code == CMPI_NOT_LOADED) { snprintf(text, capacity, "Open MPI is not loaded"); return; }
    if (code == CMPI_TIMED_OUT) { snprintf(text, capacity, "timed out"); return; }
    char message[MAX_ERROR_STRING + 1] = {0};
    int length = 0;
    if (mpi.loaded && mpi.error_string(code, message, &length) == 0) snprintf(text, capacity, "%s", message);
    else snprintf(text, capacity, "MPI error %d", code);
}
