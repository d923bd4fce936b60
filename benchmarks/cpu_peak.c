/* Multiply-add throughput of one core, per instruction family this CPU has (benchmarks/bench_cpu_peak.py).
 *
 * Each kernel keeps 10 independent accumulators busy so that throughput, not latency, is measured; an
 * empty asm statement makes the compiler believe the input changes every two steps, so no product is
 * shared or hoisted out of the loop.  A multiply-add is one product added to a sum: a 256-bit FMA does
 * 8, vpmaddubsw with its widening vpmaddwd 32, vpmaddwd alone 16, a 256-bit vpdpbusd 32, a 512-bit one 64.
 * Prints one line per kernel: "name GMAC/s" (median of 5 timed runs of 0.05-0.2 s each).
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define ITERS 40000000L
#define RUNS 5
#define ACC 10 /* accumulators: enough to cover an FMA's latency at two per cycle */
static volatile double sink;

/* One kernel: T the register type, STEP(acc, w) one multiply-add instruction (with its widening),
 * MACS the multiply-adds per STEP; the input x is "changed" by an empty asm every two steps, so
 * the compiler cannot share one product between accumulators. */
#define KERNEL(fname, label, T, ZERO, SET_X, SET_W0, SET_W1, STEP, MACS, LANE0)           \
    static void fname(void) {                                                             \
        double rates[RUNS];                                                               \
        for (int run = 0; run < RUNS; run++) {                                            \
            T x = SET_X, w0 = SET_W0, w1 = SET_W1, a[ACC];                                \
            _Pragma("GCC unroll 16")                                                      \
            for (int r = 0; r < ACC; r++) a[r] = ZERO;                                    \
            double t0 = now();                                                            \
            for (long it = 0; it < ITERS; it++) {                                         \
                _Pragma("GCC unroll 16")                                                  \
                for (int r = 0; r < ACC; r += 2) {                                        \
                    __asm__ volatile("" : "+v"(x));                                       \
                    a[r] = STEP(a[r], x, w0);                                             \
                    a[r + 1] = STEP(a[r + 1], x, w1);                                     \
                }                                                                         \
            }                                                                             \
            double dt = now() - t0;                                                       \
            for (int r = 0; r < ACC; r++) sink += (double)LANE0(a[r]);                    \
            rates[run] = (double)ITERS * ACC * (MACS) / dt / 1e9;                         \
        }                                                                                 \
        qsort(rates, RUNS, sizeof rates[0], cmp);                                         \
        printf("%s %.1f\n", label, rates[RUNS / 2]);                                      \
    }

#if defined(__AVX2__) && defined(__FMA__)
#define FMA256(a, x, w) _mm256_fmadd_ps(x, w, a)
/* 32 u8 x s8 products summed in pairs to int16 (vpmaddubsw), widened to int32 (vpmaddwd by 1), added */
#define MADDUBS256(a, x, w) _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w), _mm256_set1_epi16(1)))
#define MADDWD256(a, x, w) _mm256_add_epi32(a, _mm256_madd_epi16(x, w))
#define F256_0(v) _mm256_cvtss_f32(v)
#define I256_0(v) _mm256_extract_epi32(v, 0)
KERNEL(f32_avx2, "f32_fma_256", __m256, _mm256_setzero_ps(), _mm256_set1_ps(1.0001f), _mm256_set1_ps(0.1f),
       _mm256_set1_ps(0.2f), FMA256, 8, F256_0)
KERNEL(u8s8_avx2, "u8s8_maddubs_256", __m256i, _mm256_setzero_si256(), _mm256_set1_epi8(3), _mm256_set1_epi8(1),
       _mm256_set1_epi8(-2), MADDUBS256, 32, I256_0)
KERNEL(s16_avx2, "s16_maddwd_256", __m256i, _mm256_setzero_si256(), _mm256_set1_epi16(3), _mm256_set1_epi16(1),
       _mm256_set1_epi16(-2), MADDWD256, 16, I256_0)
#endif

#if defined(__AVXVNNI__)
#define DP256(a, x, w) _mm256_dpbusd_avx_epi32(a, x, w)
KERNEL(vnni_256, "u8s8_vnni_256", __m256i, _mm256_setzero_si256(), _mm256_set1_epi8(3), _mm256_set1_epi8(1),
       _mm256_set1_epi8(-2), DP256, 32, I256_0)
#endif

#if defined(__AVX512F__)
#define FMA512(a, x, w) _mm512_fmadd_ps(x, w, a)
#define F512_0(v) _mm512_cvtss_f32(v)
KERNEL(f32_avx512, "f32_fma_512", __m512, _mm512_setzero_ps(), _mm512_set1_ps(1.0001f), _mm512_set1_ps(0.1f),
       _mm512_set1_ps(0.2f), FMA512, 16, F512_0)
#endif

#if defined(__AVX512F__) && defined(__AVX512VNNI__)
#define DP512(a, x, w) _mm512_dpbusd_epi32(a, x, w)
#define I512_0(v) _mm_cvtsi128_si32(_mm512_castsi512_si128(v))
KERNEL(vnni_512, "u8s8_vnni_512", __m512i, _mm512_setzero_si512(), _mm512_set1_epi8(3), _mm512_set1_epi8(1),
       _mm512_set1_epi8(-2), DP512, 64, I512_0)
#endif

int main(void) {
#if defined(__AVX2__) && defined(__FMA__)
    f32_avx2();
    u8s8_avx2();
    s16_avx2();
#endif
#if defined(__AVXVNNI__)
    vnni_256();
#endif
#if defined(__AVX512F__)
    f32_avx512();
#endif
#if defined(__AVX512F__) && defined(__AVX512VNNI__)
    vnni_512();
#endif
    return 0;
}
