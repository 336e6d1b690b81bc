// What the thread pool needs from C: the process's CPU affinity (CPU_COUNT is a macro, out
// of Swift's reach) and a thread-local nesting depth.

#define _GNU_SOURCE
#include "CKernels.h"

#include <sched.h>

int sk_affinity_cpu_count(void) {
    // Masks for machines of up to 1024 CPUs fit cpu_set_t; larger ones need a bigger set.
    for (int cpus = CPU_SETSIZE; cpus <= (1 << 16); cpus *= 2) {
        cpu_set_t *set = CPU_ALLOC(cpus);
        if (set == NULL) return 0;
        size_t size = CPU_ALLOC_SIZE(cpus);
        CPU_ZERO_S(size, set);
        int count = sched_getaffinity(0, size, set) == 0 ? CPU_COUNT_S(size, set) : -1;
        CPU_FREE(set);
        if (count >= 0) return count;
    }
    return 0;
}

static _Thread_local int parallel_depth = 0;

int sk_parallel_depth(void) { return parallel_depth; }

void sk_set_parallel_depth(int depth) { parallel_depth = depth; }
