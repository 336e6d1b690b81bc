// This CPU's cache sizes, read at run time, and the GEMM block sizes that follow from them.
//
// Sources, in order: Linux's /sys/devices/system/cpu/cpu0/cache (sizes and how many CPUs
// share each cache), then the CPU's own cache descriptors (cpuid leaf 4 on Intel,
// 0x8000001D on AMD), then sysconf. Virtual machines report odd values through the last
// two (glibc's sysconf has given 320 MB of L3 on a 32 MB part), hence the order.

#include "internal.h"

#include <cpuid.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long read_long_file(const char *path, long *value, int size_suffix) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char text[256] = {0};
    long ok = fgets(text, sizeof text, f) != NULL;
    fclose(f);
    if (!ok) return 0;
    if (!size_suffix) {
        *value = 0;
        // A CPU list such as "0-3,8-11": count the CPUs in it.
        char *p = text;
        while (*p && *p != '\n') {
            long a = strtol(p, &p, 10), b = a;
            if (*p == '-') b = strtol(p + 1, &p, 10);
            *value += b - a + 1;
            if (*p == ',') p++;
            else break;
        }
        return *value > 0;
    }
    char *end;
    long n = strtol(text, &end, 10);
    if (end == text || n <= 0) return 0;
    if (*end == 'K') n <<= 10;
    else if (*end == 'M') n <<= 20;
    else if (*end == 'G') n <<= 30;
    *value = n;
    return 1;
}

static int from_sys(sk_cache_sizes *out) {
    int found = 0;
    for (int index = 0; index < 8; index++) {
        char path[128], type[32] = {0};
        long level = 0, size = 0, sharing = 1, ways = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
        FILE *f = fopen(path, "r");
        if (!f) break;
        int ok = fgets(type, sizeof type, f) != NULL;
        fclose(f);
        if (!ok || strncmp(type, "Instruction", 11) == 0) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
        if (!read_long_file(path, &level, 1)) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        if (!read_long_file(path, &size, 1)) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list", index);
        if (!read_long_file(path, &sharing, 0)) sharing = 1;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/ways_of_associativity", index);
        if (!read_long_file(path, &ways, 1)) ways = 0;
        if (level == 1) { out->l1d = size; out->l1d_ways = (int)ways; }
        else if (level == 2) { out->l2 = size; out->l2_ways = (int)ways; }
        else if (level == 3) { out->l3 = size; out->l3_ways = (int)ways; out->l3_sharing = (int)sharing; }
        found |= 1 << level;
    }
    return (found & 6) == 6; // L1d and L2 at least
}

static int from_cpuid(sk_cache_sizes *out) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return 0;
    unsigned leaf = 4;
    if (ebx == 0x68747541) { // "Auth"enticAMD: the same descriptors at 0x8000001D
        unsigned highest = __get_cpuid_max(0x80000000, NULL);
        if (highest < 0x8000001D) return 0;
        leaf = 0x8000001D;
    } else if (eax < 4) {
        return 0;
    }
    int found = 0;
    for (unsigned sub = 0; sub < 16; sub++) {
        __cpuid_count(leaf, sub, eax, ebx, ecx, edx);
        unsigned type = eax & 0x1f, level = (eax >> 5) & 7;
        if (type == 0) break;
        if (type == 2) continue; // instruction cache
        int ways = (int)((ebx >> 22) & 0x3ff) + 1;
        long size = (long)ways * (((ebx >> 12) & 0x3ff) + 1) * ((ebx & 0xfff) + 1) * ((long)ecx + 1);
        int sharing = (int)((eax >> 14) & 0xfff) + 1;
        if (level == 1) { out->l1d = size; out->l1d_ways = ways; }
        else if (level == 2) { out->l2 = size; out->l2_ways = ways; }
        else if (level == 3) { out->l3 = size; out->l3_ways = ways; out->l3_sharing = sharing; }
        found |= 1 << level;
    }
    return (found & 6) == 6;
}

static int from_sysconf(sk_cache_sizes *out) {
    long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE), l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l1 <= 0 || l2 <= 0) return 0;
    out->l1d = l1;
    out->l2 = l2;
    out->l3 = l3 > 0 ? l3 : 0;
    long w1 = sysconf(_SC_LEVEL1_DCACHE_ASSOC), w2 = sysconf(_SC_LEVEL2_CACHE_ASSOC), w3 = sysconf(_SC_LEVEL3_CACHE_ASSOC);
    out->l1d_ways = w1 > 0 ? (int)w1 : 0;
    out->l2_ways = w2 > 0 ? (int)w2 : 0;
    out->l3_ways = w3 > 0 ? (int)w3 : 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    out->l3_sharing = cpus > 0 ? (int)cpus : 1; // unknown: assume every CPU shares it
    return 1;
}

static sk_cache_sizes caches;
static pthread_once_t caches_once = PTHREAD_ONCE_INIT;

static void find_caches(void) {
    sk_cache_sizes found = {0};
    found.l3_sharing = 1;
    if (from_sys(&found)) found.source = SK_CACHES_FROM_SYS;
    else if (from_cpuid(&found)) found.source = SK_CACHES_FROM_CPUID;
    else if (from_sysconf(&found)) found.source = SK_CACHES_FROM_SYSCONF;
    else {
        // Nothing reported: sizes smaller than any x86-64 CPU of the last decade has.
        found.l1d = 32 << 10;
        found.l2 = 256 << 10;
        found.l3 = 0;
        found.source = SK_CACHES_ASSUMED;
    }
    // Implausible reports (under 8 KB of L1, an L2 smaller than L1) fall back to the same floor.
    if (found.l1d < (8 << 10)) found.l1d = 32 << 10;
    if (found.l2 < found.l1d) found.l2 = 256 << 10;
    if (found.l3_sharing < 1) found.l3_sharing = 1;
    // Unknown (or fully associative, reported as 0 or a huge count) ways: typical ones.
    if (found.l1d_ways < 2 || found.l1d_ways > 64) found.l1d_ways = 8;
    if (found.l2_ways < 2 || found.l2_ways > 64) found.l2_ways = 8;
    if (found.l3_ways < 2 || found.l3_ways > 64) found.l3_ways = 16;
    caches = found;
}

sk_cache_sizes sk_caches(void) {
    pthread_once(&caches_once, find_caches);
    return caches;
}

static int clamp_multiple(long value, int multiple, int low, int high) {
    long v = value / multiple * multiple;
    if (v < low) v = low;
    if (v > high) v = high / multiple * multiple;
    return (int)v;
}

static long ceil_div(long a, long b) { return (a + b - 1) / b; }

// The analytical model of Low et al., "Analytical Modeling Is Enough for High-Performance
// BLIS" (ACM TOMS 43(2), 2016), counted in cache ways so that the blocks that must stay in
// a cache do not evict each other:
//  - L1: the kc x nr panel of B, reused for every strip of A, keeps W1 - 1 - C_A ways, where
//    the mr x kc strip of A streaming past takes C_A = floor((W1 - 1) / (1 + nr / mr));
//  - L2: the mc x kc block of A keeps the ways the B panel and one spare leave;
//  - L3: the kc x nc block of B keeps what the A block and one spare way leave of this
//    core's share (L2 stands in for a missing L3).
sk_blocking sk_blocking_for(int mr, int nr) {
    sk_cache_sizes c = sk_caches();
    sk_blocking b;
    long way1 = c.l1d / c.l1d_ways;
    long a_ways = (long)((c.l1d_ways - 1) / (1.0 + (double)nr / mr));
    if (a_ways < 1) a_ways = 1;
    long b_ways = c.l1d_ways - 1 - a_ways;
    if (b_ways < 1) b_ways = 1;
    b.kc = clamp_multiple(b_ways * way1 / ((long)nr * 4), 8, 32, 1024);

    long way2 = c.l2 / c.l2_ways;
    long a_block_ways = c.l2_ways - 1 - ceil_div((long)b.kc * nr * 4, way2);
    if (a_block_ways < 1) a_block_ways = 1;
    b.mc = clamp_multiple(a_block_ways * way2 / ((long)b.kc * 4), mr, mr, 4096);

    long share = c.l3 > 0 ? c.l3 / c.l3_sharing : c.l2, ways3 = c.l3 > 0 ? c.l3_ways : c.l2_ways;
    if (share < c.l2) share = c.l2;
    long way3 = share / ways3;
    long b_block_ways = ways3 - 1 - ceil_div((long)b.mc * b.kc * 4, way3);
    if (b_block_ways < 1) b_block_ways = 1;
    b.nc = clamp_multiple(b_block_ways * way3 / ((long)b.kc * 4), nr, nr, 8192);
    return b;
}

int sk_even_block(int k, int block, int granule) {
    if (k <= block) return k;
    int blocks = (k + block - 1) / block;
    int size = (k + blocks - 1) / blocks;
    return (size + granule - 1) / granule * granule;
}
