/* Dubline's native kernels for onnxruntime's CPU provider (custom-op library).
 *
 * Domain "ai.dubline":
 *   Snake(x, a) = x + sin(a x)^2 / a   the vocoder's Snake activation, a per channel of an
 *                                      [N, C, T] tensor; without a (a = 1) it is the form
 *                                      u + sin(u)^2 left when engine/onnx_speed.py folds
 *                                      1/a into the next convolution
 *   Sin(x)      = sin(x)
 *   WConv(x, w, bias, params)
 *               = the same for 3-tap kernels by Winograd's F(4, 3) (params: [dilation]); built
 *                 with FConv
 *   NormSnake(x, scale, bias, epsilon, a)
 *               = Snake(InstanceNormalization(x, scale, bias, epsilon), a), a optional as in Snake
 *   QConv(x, w, wcol, bias, dilation)
 *               = the 1-D convolution of x [N, Ci, T] or [N, Ci, 1, T] by w [Co, Ci, K] with
 *                 "same" padding and stride 1, in 8-bit integers.  Per call, each input
 *                 channel c gets a balance factor s = sqrt(max|x_c| / max|w_:c:|) (wcol holds
 *                 the max|w| per input channel): x / s is quantized to uint8 with a zero point
 *                 on its own scale for every tile of 96 outputs (the tile's input window), and
 *                 w * s to int8 on one scale per output channel.  The products are summed
 *                 exactly in int32 by AVX-512 VNNI (vpdpbusd), scaled back and the bias added.
 *                 Only built where the compiler targets VNNI (-march=native on such a CPU);
 *                 dubline_qconv_available() says whether it is, and only then is it registered.
 * Float32 tensors; Sin takes any shape.
 *
 * Why QConv: the vocoder's float convolutions are ~85 % of a render and already run at the
 * float peak of AVX-512 FMA; VNNI does 64 multiply-adds per instruction instead of 16.
 *
 * Why Snake: onnxruntime's Sin is a scalar libm loop, and a Snake took four more full passes
 * (scale, square, scale, add) over the vocoder's largest tensors.  Here it is one pass whose
 * loop the compiler vectorises: sin by range reduction to [-pi/2, pi/2] (pi in three parts)
 * and the Taylor series to r^13 (truncation < 1e-9 on that interval, below float rounding).
 *
 * The library talks to onnxruntime only through its C ABI, which is append-only and
 * versioned: the entry point receives the API base, asks for a table of a given version
 * and calls functions by their fixed slot in that table.  The slots used are listed below.
 * Work is split over onnxruntime's own intra-op threads when the runtime offers that
 * (API 17+); older runtimes run the kernel on the calling thread.
 *
 * engine/native/__init__.py compiles this file on the user's machine and tries it in a
 * separate process before the engine relies on it.
 */
#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* ---- the parts of onnxruntime's C ABI this library uses -------------------------------- */

typedef struct OrtStatus OrtStatus; /* opaque; NULL means success */
typedef struct OrtKernelContext OrtKernelContext;
typedef struct OrtValue OrtValue;
typedef struct OrtShapeInfo OrtShapeInfo;
typedef struct OrtDomain OrtDomain;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef void *const *ApiTable; /* an OrtApi: a table of function pointers */

typedef struct {
    ApiTable (*get_api)(uint32_t version);
    const char *(*get_version_string)(void);
} ApiBase;

enum { ELEMENT_FLOAT = 1, ELEMENT_INT8 = 3, ELEMENT_INT32 = 6, ELEMENT_INT64 = 7, CHARACTERISTIC_REQUIRED = 0, CHARACTERISTIC_OPTIONAL = 1, MEM_DEFAULT = 0 };

/* fixed slots of OrtApi (never moved since they were added) */
enum {
    SLOT_CREATE_STATUS = 0,
    SLOT_CREATE_DOMAIN = 26,
    SLOT_DOMAIN_ADD = 27,
    SLOT_ADD_DOMAIN = 28,
    SLOT_TENSOR_DATA = 51,
    SLOT_DIMS_COUNT = 61,
    SLOT_DIMS = 62,
    SLOT_ELEMENT_COUNT = 64,
    SLOT_TYPE_AND_SHAPE = 65,
    SLOT_INPUT_COUNT = 88,
    SLOT_CONTEXT_INPUT = 90,
    SLOT_CONTEXT_OUTPUT = 91,
    SLOT_RELEASE_STATUS = 93,
    SLOT_RELEASE_SHAPE = 99,
    SLOT_PARALLEL_FOR = 274, /* API 17 and later */
};

typedef OrtStatus *(*CreateStatusFn)(int code, const char *msg);
typedef OrtStatus *(*CreateDomainFn)(const char *name, OrtDomain **out);
typedef OrtStatus *(*DomainAddFn)(OrtDomain *domain, const void *op);
typedef OrtStatus *(*AddDomainFn)(OrtSessionOptions *options, OrtDomain *domain);
typedef OrtStatus *(*TensorDataFn)(OrtValue *value, void **out);
typedef OrtStatus *(*DimsCountFn)(const OrtShapeInfo *info, size_t *out);
typedef OrtStatus *(*DimsFn)(const OrtShapeInfo *info, int64_t *dims, size_t count);
typedef OrtStatus *(*ElementCountFn)(const OrtShapeInfo *info, size_t *out);
typedef OrtStatus *(*TypeAndShapeFn)(const OrtValue *value, OrtShapeInfo **out);
typedef OrtStatus *(*CountFn)(const OrtKernelContext *ctx, size_t *out);
typedef OrtStatus *(*ContextInputFn)(const OrtKernelContext *ctx, size_t index, const OrtValue **out);
typedef OrtStatus *(*ContextOutputFn)(OrtKernelContext *ctx, size_t index, const int64_t *dims, size_t count,
                                      OrtValue **out);
typedef void (*ReleaseFn)(void *object);
typedef OrtStatus *(*ParallelForFn)(const OrtKernelContext *ctx, void (*fn)(void *, size_t), size_t total,
                                    size_t num_batch, void *user);

/* OrtCustomOp as of ABI version 13 (the runtime reads no further for that version) */
typedef struct CustomOp {
    uint32_t version;
    void *(*create_kernel)(const struct CustomOp *op, ApiTable api, const void *info);
    const char *(*get_name)(const struct CustomOp *op);
    const char *(*get_provider)(const struct CustomOp *op);
    int (*get_input_type)(const struct CustomOp *op, size_t index);
    size_t (*get_input_count)(const struct CustomOp *op);
    int (*get_output_type)(const struct CustomOp *op, size_t index);
    size_t (*get_output_count)(const struct CustomOp *op);
    void (*compute)(void *kernel, OrtKernelContext *ctx);
    void (*destroy)(void *kernel);
    int (*get_input_characteristic)(const struct CustomOp *op, size_t index);
    int (*get_output_characteristic)(const struct CustomOp *op, size_t index);
    int (*get_input_memory_type)(const struct CustomOp *op, size_t index);
} CustomOp;

#define CUSTOM_OP_VERSION 13u

/* ---- the kernels ------------------------------------------------------------------------ */

/* pi in three parts: PI_1 and PI_2 have 8- and 11-bit mantissas, so k * PI_1 and k * PI_2 are
 * exact for |k| < 2^13; for the harmonic source's larger phases (~4e4 rad) the reduction error
 * stays below 1e-6 rad, far under the spacing of the float input itself (4e-3 rad there) */
#define PI_1 3.140625f
#define PI_2 9.67502593994140625e-4f
#define PI_3 1.509957990978376432e-7f
#define INV_PI 0.318309886183790671538f
#define HALF_PI 1.57079637f

/* sin(r) for r in [-pi/2, pi/2]: Taylor series to r^13 */
static inline float sin_reduced(float r) {
    float r2 = r * r;
    float p = 1.6059043836821614599e-10f;
    p = p * r2 - 2.5052108385441718775e-8f;
    p = p * r2 + 2.7557319223985890653e-6f;
    p = p * r2 - 1.9841269841269841270e-4f;
    p = p * r2 + 8.3333333333333333333e-3f;
    p = p * r2 - 1.6666666666666666667e-1f;
    return r + r * r2 * p;
}

/* u = k pi + r; the clamp only matters for |u| beyond ~1e7, where float has no phase left */
static inline float reduce(float u, float *k_out) {
    float k = rintf(u * INV_PI);
    float r = ((u - k * PI_1) - k * PI_2) - k * PI_3;
    *k_out = k;
    r = r > HALF_PI ? HALF_PI : r; /* not fminf/fmaxf: their NaN rules stop vectorisation */
    return r < -HALF_PI ? -HALF_PI : r;
}

/* y = x + sin(a x)^2 / a over n values of one channel (a = 1: the folded form u + sin(u)^2) */
static void snake_range(const float *restrict x, float *restrict y, size_t n, float a) {
    const float inv = 1.0f / a;
    for (size_t i = 0; i < n; i++) {
        float k, s = sin_reduced(reduce(a * x[i], &k));
        y[i] = x[i] + inv * (s * s); /* sin^2 has period pi: the sign (-1)^k does not matter */
    }
}

static void sin_range(const float *restrict x, float *restrict y, size_t n, float a) {
    (void)a;
    for (size_t i = 0; i < n; i++) {
        float k, s = sin_reduced(reduce(x[i], &k));
        float odd = fabsf(k - 2.0f * rintf(0.5f * k)); /* 1 when k is odd */
        y[i] = s * (1.0f - 2.0f * odd);
    }
}

typedef void (*RangeFn)(const float *restrict, float *restrict, size_t, float);

/* ---- glue --------------------------------------------------------------------------------- */

static ApiTable g_api;      /* the table used for everything but ParallelFor */
static ApiTable g_api17;    /* API 17+ table when the runtime has one, else NULL */

#define CALL(slot, type) ((type)g_api[slot])

typedef struct {
    RangeFn fn;
    size_t inputs; /* Snake: x and an optional per-channel alpha; Sin: x */
} Kernel;

#define CHUNK 32768 /* values per task: big enough to amortise the hand-off, small enough to share */

/* the tensor as rows (one per channel when alpha is given) cut into tasks of <= CHUNK values */
typedef struct {
    const float *x;
    float *y;
    const float *alpha; /* NULL: 1 */
    size_t rows, row_len, channels, parts;
    RangeFn fn;
} Job;

static void run_task(void *user, size_t index) {
    const Job *job = (const Job *)user;
    size_t row = index / job->parts, part = index % job->parts;
    size_t start = part * CHUNK;
    if (row >= job->rows || start >= job->row_len) return;
    size_t len = job->row_len - start < CHUNK ? job->row_len - start : CHUNK;
    float a = job->alpha ? job->alpha[row % job->channels] : 1.0f;
    size_t at = row * job->row_len + start;
    job->fn(job->x + at, job->y + at, len, a);
}

static void release_status(OrtStatus *status) {
    if (status) CALL(SLOT_RELEASE_STATUS, ReleaseFn)(status);
}

#define CHECK(expr)                    \
    do {                               \
        OrtStatus *st_ = (expr);       \
        if (st_) {                     \
            release_status(st_);       \
            goto done;                 \
        }                              \
    } while (0)

#define MAX_DIMS 16

/* fn(user, 0..tasks-1) on onnxruntime's intra-op threads, or on this thread when it has none */
static void parallel(OrtKernelContext *ctx, void (*fn)(void *, size_t), size_t tasks, void *user) {
    if (g_api17 && tasks > 1) {
        OrtStatus *st = ((ParallelForFn)g_api17[SLOT_PARALLEL_FOR])(ctx, fn, tasks, 0, user);
        if (st == NULL) return;
        release_status(st); /* fall back to this thread */
    }
    for (size_t i = 0; i < tasks; i++) fn(user, i);
}

static void compute(void *kernel_ptr, OrtKernelContext *ctx) {
    const Kernel *kernel = (const Kernel *)kernel_ptr;
    const OrtValue *input = NULL, *alpha_value = NULL;
    OrtValue *output = NULL;
    OrtShapeInfo *shape = NULL, *alpha_shape = NULL;
    size_t ndim = 0, n = 0, n_alpha = 0;
    int64_t dims[MAX_DIMS];
    void *x = NULL, *y = NULL, *alpha = NULL;

    CHECK(CALL(SLOT_CONTEXT_INPUT, ContextInputFn)(ctx, 0, &input));
    CHECK(CALL(SLOT_TYPE_AND_SHAPE, TypeAndShapeFn)(input, &shape));
    CHECK(CALL(SLOT_DIMS_COUNT, DimsCountFn)(shape, &ndim));
    if (ndim > MAX_DIMS) goto done;
    CHECK(CALL(SLOT_DIMS, DimsFn)(shape, dims, ndim));
    CHECK(CALL(SLOT_ELEMENT_COUNT, ElementCountFn)(shape, &n));
    CHECK(CALL(SLOT_CONTEXT_OUTPUT, ContextOutputFn)(ctx, 0, dims, ndim, &output));
    if (n == 0) goto done;
    CHECK(CALL(SLOT_TENSOR_DATA, TensorDataFn)((OrtValue *)input, &x));
    CHECK(CALL(SLOT_TENSOR_DATA, TensorDataFn)(output, &y));
    if (kernel->inputs > 1) {
        size_t count = 0;
        CHECK(CALL(SLOT_INPUT_COUNT, CountFn)(ctx, &count));
        if (count > 1) CHECK(CALL(SLOT_CONTEXT_INPUT, ContextInputFn)(ctx, 1, &alpha_value));
    }
    Job job = {(const float *)x, (float *)y, NULL, 1, n, 1, 1, kernel->fn};
    if (alpha_value) {
        CHECK(CALL(SLOT_TYPE_AND_SHAPE, TypeAndShapeFn)(alpha_value, &alpha_shape));
        CHECK(CALL(SLOT_ELEMENT_COUNT, ElementCountFn)(alpha_shape, &n_alpha));
        CHECK(CALL(SLOT_TENSOR_DATA, TensorDataFn)((OrtValue *)alpha_value, &alpha));
        /* x is [N, C, T] and alpha has C values (engine/onnx_speed.py only fuses that case) */
        if (ndim != 3 || (int64_t)n_alpha != dims[1]) {
            for (size_t i = 0; i < n; i++) ((float *)y)[i] = NAN; /* unmistakable, never silent */
            goto done;
        }
        job.alpha = (const float *)alpha;
        job.channels = n_alpha;
        job.rows = (size_t)(dims[0] * dims[1]);
        job.row_len = (size_t)dims[2];
    }
    if (job.row_len == 0) goto done;
    job.parts = (job.row_len + CHUNK - 1) / CHUNK;
    size_t tasks = job.rows * job.parts;
    parallel(ctx, run_task, tasks, &job);
done:
    if (shape) CALL(SLOT_RELEASE_SHAPE, ReleaseFn)(shape);
    if (alpha_shape) CALL(SLOT_RELEASE_SHAPE, ReleaseFn)(alpha_shape);
}

/* ---- NormSnake: InstanceNormalization then Snake in one op -------------------------------- */

/* Why NormSnake: in the vocoder's last two stages 42 InstanceNormalizations (their affine part
 * carrying the style, and the Snake's a where onnx_speed folded it) feed a Snake and nothing else.
 * As two ops they pass over the largest tensors several times (onnxruntime's InstanceNormalization
 * ran at ~1 G values/s on 2 cores here).  Here each channel's row (T floats: 100-200 KB for a line
 * of a few seconds) is read from memory once, its mean and variance taken while it is in cache,
 * and written once. */
typedef struct {
    const float *x, *scale, *bias, *alpha; /* alpha: NULL = 1 (the folded form) */
    float *y;
    size_t channels, t;
    float eps;
} NSJob;

/* sum of n values in eight lanes (so the loop vectorises without reassociation flags), in double */
static double lane_sum(const float *restrict x, size_t n, float centre, int squares) {
    float acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) {
            const float d = x[i + (size_t)l] - centre;
            acc[l] += squares ? d * d : d;
        }
    double s = 0.0;
    for (int l = 0; l < 8; l++) s += acc[l];
    for (; i < n; i++) {
        const double d = (double)x[i] - centre;
        s += squares ? d * d : d;
    }
    return s;
}

static void ns_task(void *user, size_t row) {
    const NSJob *j = (const NSJob *)user;
    const size_t c = row % j->channels, n = j->t;
    const float *restrict x = j->x + row * n;
    float *restrict y = j->y + row * n;
    /* mean in two steps (a rough centre from the first values, then the sum of the rest about
     * it), variance about the mean: float lanes hold a few thousand terms each, summed in double */
    const float rough = (float)(lane_sum(x, n < 64 ? n : 64, 0.0f, 0) / (double)(n < 64 ? n : 64));
    const double mean = rough + lane_sum(x, n, rough, 0) / (double)n;
    const double var = lane_sum(x, n, (float)mean, 1) / (double)n;
    const float k = (float)(j->scale[c] / sqrt(var + (double)j->eps)), m = (float)mean, b = j->bias[c];
    const float a = j->alpha ? j->alpha[c] : 1.0f, inv = 1.0f / a;
    for (size_t i = 0; i < n; i++) {
        const float u = (x[i] - m) * k + b; /* not x k + (b - m k): that loses u when |m k| >> |u| */
        float q, s = sin_reduced(reduce(a * u, &q));
        y[i] = u + inv * (s * s);
    }
}

/* how many values a tensor holds (0 for none, or when onnxruntime will not say) */
static size_t value_count(const OrtValue *v) {
    OrtShapeInfo *shape = NULL;
    size_t n = 0;
    if (!v) return 0;
    CHECK(CALL(SLOT_TYPE_AND_SHAPE, TypeAndShapeFn)(v, &shape));
    CHECK(CALL(SLOT_ELEMENT_COUNT, ElementCountFn)(shape, &n));
done:
    if (shape) CALL(SLOT_RELEASE_SHAPE, ReleaseFn)(shape);
    return n;
}

/* inputs: x [N, C, T] (or [N, C, 1, T]), scale [C], bias [C], epsilon [1], alpha [C] (optional);
 * a shape that does not fit gives NaN */
static void compute_norm_snake(void *kernel_ptr, OrtKernelContext *ctx) {
    (void)kernel_ptr;
    const OrtValue *in[5] = {0};
    OrtValue *output = NULL;
    OrtShapeInfo *shape = NULL;
    size_t ndim = 0, n = 0, count = 0;
    int64_t dims[MAX_DIMS];
    void *data[5] = {0};
    float *y = NULL;
    CHECK(CALL(SLOT_INPUT_COUNT, CountFn)(ctx, &count));
    for (size_t i = 0; i < count && i < 5; i++) {
        CHECK(CALL(SLOT_CONTEXT_INPUT, ContextInputFn)(ctx, i, &in[i]));
        if (in[i]) CHECK(CALL(SLOT_TENSOR_DATA, TensorDataFn)((OrtValue *)in[i], &data[i]));
    }
    CHECK(CALL(SLOT_TYPE_AND_SHAPE, TypeAndShapeFn)(in[0], &shape));
    CHECK(CALL(SLOT_DIMS_COUNT, DimsCountFn)(shape, &ndim));
    if (ndim > MAX_DIMS) goto done;
    CHECK(CALL(SLOT_DIMS, DimsFn)(shape, dims, ndim));
    CHECK(CALL(SLOT_ELEMENT_COUNT, ElementCountFn)(shape, &n));
    CHECK(CALL(SLOT_CONTEXT_OUTPUT, ContextOutputFn)(ctx, 0, dims, ndim, &output));
    CHECK(CALL(SLOT_TENSOR_DATA, TensorDataFn)(output, (void **)&y));
    if (n == 0) goto done;
    /* channels on axis 1, the rest one row per channel; every other axis but the first must be 1
     * except the last (engine/onnx_native.py only fuses [N, C, T]) */
    int fits = ndim >= 3 && count >= 4 && data[1] && data[2] && data[3] && dims[1] > 0;
    for (size_t d = 2; fits && d + 1 < ndim; d++) fits = dims[d] == 1;
    fits = fits && value_count(in[1]) == (size_t)dims[1] && value_count(in[2]) == (size_t)dims[1] &&
           value_count(in[3]) >= 1 && (count < 5 || !in[4] || value_count(in[4]) == (size_t)dims[1]);
    if (!fits) {
        for (size_t i = 0; i < n; i++) y[i] = NAN; /* unmistakable, never silent */
        goto done;
    }
    NSJob job = {(const float *)data[0], (const float *)data[1], (const float *)data[2],
                 count > 4 ? (const float *)data[4] : NULL, y, (size_t)dims[1], (size_t)dims[ndim - 1],
                 ((const float *)data[3])[0]};
    if (job.t > 0) parallel(ctx, ns_task, (size_t)(dims[0] * dims[1]), &job);
done:
    if (shape) CALL(SLOT_RELEASE_SHAPE, ReleaseFn)(shape);
}

/* ---- QConv: 8-bit convolution on AVX-512 VNNI ---------------------------------------------- */

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include <immintrin.h>
#define HAVE_QCONV 1

#define QJ 4           /* output channels per micro tile (one broadcast weight each) */
#define QI 6           /* 16-sample vectors per micro tile: 24 int32 accumulators */
#define QT (16 * QI)   /* output samples per tile, each tile quantized on its own scale */
#define QTILES 2       /* tiles per task */

typedef struct {
    const float *x;     /* [Ci, T] */
    float *y;           /* [Co, T] */
    const float *w;     /* [Co, Ci, K] float */
    const float *wcol;  /* [Ci]: max |w| over outputs and taps, per input channel */
    const float *bias;  /* [Co] */
    size_t ci, co, t, pad, tiles, win;
    int k, dil;
    float *inv_s;       /* [Ci]: 1 / smoothing factor */
    float *s;           /* [Ci]: smoothing factor */
    int32_t *wp;        /* [Co/4][K][Ci/4][4]: 4 int8 inputs per int32, 4 outputs */
    float *wscale;      /* [Co] */
    int32_t *wsum;      /* [Co] */
    int failed;
} QJob;

/* per input channel: s = sqrt(max|x| / max|w|), the balance point of the two ranges (SmoothQuant,
 * alpha 0.5); x is quantized as x / s and the weights as w * s, which leaves the product as it was */
static void q_smooth_task(void *user, size_t c) {
    QJob *j = (QJob *)user;
    const float *x = j->x + c * j->t;
    __m512 m = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= j->t; i += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
    float peak = _mm512_reduce_max_ps(m);
    for (; i < j->t; i++) peak = fabsf(x[i]) > peak ? fabsf(x[i]) : peak;
    float s = (peak > 0.0f && j->wcol[c] > 0.0f) ? sqrtf(peak / j->wcol[c]) : 1.0f;
    if (!isfinite(s)) s = 1.0f;
    j->s[c] = s;
    j->inv_s[c] = 1.0f / s;
}

/* outputs 4b..4b+3: w * s to int8 on one scale per output, packed for q_micro */
static void q_weights_task(void *user, size_t b) {
    QJob *j = (QJob *)user;
    const size_t ci = j->ci, k = (size_t)j->k, groups = ci / 4;
    int8_t *dst = (int8_t *)(j->wp + b * k * groups * QJ);
    for (int a = 0; a < QJ; a++) {
        const size_t o = b * QJ + a;
        const float *wo = j->w + o * ci * k;
        float peak = 0.0f;
        for (size_t c = 0; c < ci; c++)
            for (size_t kk = 0; kk < k; kk++) {
                float v = fabsf(wo[c * k + kk] * j->s[c]);
                peak = v > peak ? v : peak;
            }
        const float scale = peak > 0.0f ? peak / 127.0f : 1.0f, inv = 1.0f / scale;
        int32_t sum = 0;
        for (size_t c = 0; c < ci; c++)
            for (size_t kk = 0; kk < k; kk++) {
                float q = rintf(wo[c * k + kk] * j->s[c] * inv);
                q = q < -127.0f ? -127.0f : (q > 127.0f ? 127.0f : q);
                dst[((kk * groups + c / 4) * QJ + (size_t)a) * 4 + c % 4] = (int8_t)q;
                sum += (int32_t)q;
            }
        j->wscale[o] = scale;
        j->wsum[o] = sum;
    }
}

/* outputs co0..co0+3 at tile samples 0..QT-1 (of which `valid` are stored) from the tile's window */
static void q_micro(const QJob *j, const uint8_t *xq, size_t co0, float *y, size_t valid, const float *mul,
                    const float *add) {
    const int groups = (int)(j->ci / 4);
    const int32_t *wb = j->wp + co0 / QJ * (size_t)j->k * groups * QJ;
    __m512i acc[QJ][QI];
    for (int a = 0; a < QJ; a++)
        for (int i = 0; i < QI; i++) acc[a][i] = _mm512_setzero_si512();
    for (int k = 0; k < j->k; k++) {
        const uint8_t *xk = xq + (size_t)k * j->dil * 4;
        const int32_t *wk = wb + (size_t)k * groups * QJ;
        for (int g = 0; g < groups; g++) {
            const uint8_t *xg = xk + (size_t)g * j->win * 4;
            __m512i xv[QI];
            for (int i = 0; i < QI; i++) xv[i] = _mm512_loadu_si512((const void *)(xg + 64 * i));
            for (int a = 0; a < QJ; a++) {
                const __m512i w = _mm512_set1_epi32(wk[g * QJ + a]);
                for (int i = 0; i < QI; i++) acc[a][i] = _mm512_dpbusd_epi32(acc[a][i], xv[i], w);
            }
        }
    }
    for (int a = 0; a < QJ; a++) {
        const __m512 m = _mm512_set1_ps(mul[co0 + a]), b = _mm512_set1_ps(add[co0 + a]);
        float *yr = y + (co0 + a) * j->t;
        for (int i = 0; i < QI && (size_t)i * 16 < valid; i++) {
            const __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[a][i]), m, b);
            const size_t left = valid - (size_t)i * 16;
            if (left >= 16) _mm512_storeu_ps(yr + i * 16, v);
            else _mm512_mask_storeu_ps(yr + i * 16, (__mmask16)((1u << left) - 1u), v);
        }
    }
}

/* the tile's input window x[:, t0 - pad, t0 + QT + pad) / s on its own uint8 scale (0 outside x) */
static void q_window(const QJob *j, size_t t0, uint8_t *xq, float *mul, float *add) {
    const long lo_t = (long)t0 - (long)j->pad, hi_t = (long)(t0 + QT + j->pad);
    const long a = lo_t < 0 ? 0 : lo_t, b = hi_t > (long)j->t ? (long)j->t : hi_t;
    float lo = 0.0f, hi = 0.0f; /* the range holds 0, so the padding is exact */
    for (size_t c = 0; c < j->ci; c++) {
        const float *x = j->x + c * j->t, f = j->inv_s[c];
        for (long t = a; t < b; t++) {
            const float v = x[t] * f;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    }
    float scale = (hi - lo) / 255.0f;
    if (!(scale > 0.0f) || !isfinite(scale)) scale = 1.0f;
    const float inv = 1.0f / scale;
    int zp = (int)rintf(-lo * inv);
    zp = zp < 0 ? 0 : (zp > 255 ? 255 : zp);
    const uint32_t fill = 0x01010101u * (uint32_t)zp;
    const __m512i q_lo = _mm512_setzero_si512(), q_hi = _mm512_set1_epi32(255);
    const __m512 vzp = _mm512_set1_ps((float)zp);
    for (size_t g = 0; g < j->ci / 4; g++) {
        uint32_t *row = (uint32_t *)(xq + g * j->win * 4);
        const size_t first = (size_t)(a - lo_t), last = (size_t)(b - lo_t); /* columns holding x */
        for (size_t c = 0; c < first; c++) row[c] = fill;
        for (size_t c = last; c < j->win; c++) row[c] = fill;
        const float *x0 = j->x + 4 * g * j->t + a;
        __m512 f[4];
        for (int c = 0; c < 4; c++) f[c] = _mm512_set1_ps(j->inv_s[4 * g + c] * inv);
        size_t n = last - first, t = 0;
        for (; t + 16 <= n; t += 16) {
            __m512i v = _mm512_setzero_si512();
            for (int c = 0; c < 4; c++) {
                __m512i q = _mm512_cvtps_epi32(_mm512_fmadd_ps(_mm512_loadu_ps(x0 + c * j->t + t), f[c], vzp));
                q = _mm512_min_epi32(_mm512_max_epi32(q, q_lo), q_hi);
                v = _mm512_or_si512(v, _mm512_slli_epi32(q, 8 * c));
            }
            _mm512_storeu_si512((void *)(row + first + t), v);
        }
        for (; t < n; t++) {
            uint32_t v = 0;
            for (int c = 0; c < 4; c++) {
                float q = rintf(x0[c * j->t + t] * j->inv_s[4 * g + c] * inv + (float)zp);
                q = q < 0.0f ? 0.0f : (q > 255.0f ? 255.0f : q);
                v |= (uint32_t)q << (8 * c);
            }
            row[first + t] = v;
        }
    }
    for (size_t o = 0; o < j->co; o++) { /* y = s_x s_w (acc - zp sum(w)) + b */
        mul[o] = scale * j->wscale[o];
        add[o] = j->bias[o] - mul[o] * (float)zp * (float)j->wsum[o];
    }
}

static void q_conv_task(void *user, size_t task) {
    QJob *j = (QJob *)user;
    uint8_t *xq = aligned_alloc(64, (j->ci * j->win + 2 * j->co * sizeof(float) + 63) / 64 * 64);
    if (!xq) {
        j->failed = 1;
        return;
    }
    float *mul = (float *)(xq + j->ci * j->win), *add = mul + j->co;
    for (size_t tile = task * QTILES; tile < j->tiles && tile < (task + 1) * QTILES; tile++) {
        const size_t t0 = tile * QT, valid = j->t - t0 < QT ? j->t - t0 : QT;
        q_window(j, t0, xq, mul, add);
        for (size_t co = 0; co < j->co; co += QJ) q_micro(j, xq, co, j->y + t0, valid, mul, add);
    }
    free(xq);
}

/* one batch item: x [Ci, T] -> y [Co, T]; returns 0 when memory is short */
static int qconv_one(OrtKernelContext *ctx, QJob *j) {
    j->pad = (size_t)j->dil * (size_t)(j->k - 1) / 2;
    j->tiles = (j->t + QT - 1) / QT;
    j->win = (QT + 2 * j->pad + 15) / 16 * 16;
    size_t wbytes = j->co * j->ci * (size_t)j->k;
    uint8_t *mem = aligned_alloc(64, (wbytes + (2 * j->ci + 2 * j->co) * 4 + 63) / 64 * 64);
    if (!mem) return 0;
    j->wp = (int32_t *)mem;
    j->s = (float *)(mem + wbytes);
    j->inv_s = j->s + j->ci;
    j->wscale = j->inv_s + j->ci;
    j->wsum = (int32_t *)(j->wscale + j->co);
    parallel(ctx, q_smooth_task, j->ci, j);
    parallel(ctx, q_weights_task, j->co / QJ, j);
    parallel(ctx, q_conv_task, (j->tiles + QTILES - 1) / QTILES, j);
    free(mem);
    return !j->failed;
}
#endif

/* ---- FConv: long convolutions in the frequency domain (float32, AVX2 + FMA) ----------------- */

/* Why FConv: on a CPU without VNNI the vocoder's float convolutions run at ~82 % of the FMA peak
 * and still take ~70 % of a render.  A direct convolution with a K-tap kernel costs K multiply-adds
 * per output and input channel; by overlap-save over frames of N samples (h = N - K + 1 outputs
 * each), every frame is taken to N/2 + 1 frequency bins, the channels are mixed bin by bin (a
 * complex matrix product: 4 (N/2 + 1) / h real multiply-adds per output and input channel, 3.1 for
 * K = 11 and N = 32, 2.3 for N = 64, against 11) and the h valid outputs come back by the inverse
 * transform.  N is a power of two: each transform is one complex FFT of N/2 points (vectorised over
 * 8 channels) and a split into the bins; as a direct DFT the two took ~30 % of the op, as FFTs ~20 %.
 * The result is the same convolution up to float rounding (selftest.py checks it against float64).
 * A dilated kernel is the plain kernel on each of its `dilation` interleaved phases.
 * The weights' transform is made at the first call of each node and kept with its kernel. */
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include <pthread.h>
#define HAVE_FCONV 1

#define FB 6           /* frames per micro tile: 12 accumulators (real, imaginary) of 8 outputs */
#define FCB (4 * FB)   /* frames per task (2 and 6 micro tiles were no faster) */

typedef struct {
    pthread_mutex_t lock;
    int ready;          /* 1: the fields below are built (read under the lock or after it) */
    const float *w;     /* the weights they were built from: a constant initializer; others are refused */
    size_t ci, co;
    int k, n, f, h;
    float *g;           /* [F][Co/8][Ci][16]: conj(DFT(w)) / 2N, 8 real then 8 imaginary per input channel */
    float *tw;          /* [M/2][2] e^-i2pi j/M, the FFT's, then [F][2] e^-i2pi b/N, the split's (cos, -sin) */
    unsigned char rev[64]; /* q -> q's bits reversed over log2 M, M = N/2 */
} FState;

typedef struct {
    const FState *s;
    const float *x;     /* [Ci, T] */
    float *y;           /* [Co, T] */
    const float *bias;  /* [Co] */
    size_t t, dil, per_phase, span, tasks; /* frames per phase and outputs per task */
    int failed;
} FJob;

/* the tasks of a convolution cut into stretches of time over every phase: about `units` frames or
 * tiles of `outputs` each per task, shared among the `dil` phases, their count a multiple of the
 * micro tile's `block` (so none is padding); returns the number of tasks and sets the units per
 * phase and the outputs per task */
static size_t stretches(size_t t, size_t dil, size_t units, size_t block, size_t outputs, size_t *per_phase,
                        size_t *span) {
    size_t n = (units + dil - 1) / dil;
    while (dil * n % block) n++;
    *per_phase = n;
    *span = dil * outputs * n;
    return (t + *span - 1) / *span;
}

/* r[0..7] (8 rows of 8) transposed in place */
static inline void transpose8(__m256 r[8]) {
    __m256 t[8], q[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        q[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        q[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        q[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        q[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(q[i], q[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(q[i], q[i + 4], 0x31);
    }
}

/* p[r][c] = x[c][t0 + r] for r < len (0 outside [0, T)), c < ci (a multiple of 8) */
static void to_time_major(const float *x, size_t t, size_t ci, long t0, size_t len, float *p) {
    for (size_t c = 0; c < ci; c += 8)
        for (size_t r = 0; r < len; r += 8) {
            const long a = t0 + (long)r;
            if (a >= 0 && a + 8 <= (long)t && r + 8 <= len) {
                __m256 v[8];
                for (int l = 0; l < 8; l++) v[l] = _mm256_loadu_ps(x + (c + (size_t)l) * t + (size_t)a);
                transpose8(v);
                for (int i = 0; i < 8; i++) _mm256_storeu_ps(p + (r + (size_t)i) * ci + c, v[i]);
                continue;
            }
            for (size_t i = r; i < len && i < r + 8; i++)
                for (size_t l = 0; l < 8; l++) {
                    const long ti = t0 + (long)i;
                    p[i * ci + c + l] = ti >= 0 && ti < (long)t ? x[(c + l) * t + (size_t)ti] : 0.0f;
                }
        }
}

/* y[c][t0 + r] = o[r][c] for r < len and t0 + r < T */
static void from_time_major(const float *o, size_t co, size_t len, float *y, size_t t, size_t t0) {
    for (size_t c = 0; c < co; c += 8)
        for (size_t r = 0; r < len; r += 8) {
            if (r + 8 <= len && t0 + r + 8 <= t) {
                __m256 v[8];
                for (int i = 0; i < 8; i++) v[i] = _mm256_loadu_ps(o + (r + (size_t)i) * co + c);
                transpose8(v);
                for (int l = 0; l < 8; l++) _mm256_storeu_ps(y + (c + (size_t)l) * t + t0 + r, v[l]);
                continue;
            }
            for (size_t i = r; i < len && i < r + 8 && t0 + i < t; i++)
                for (size_t l = 0; l < 8; l++) y[(c + l) * t + t0 + i] = o[i * co + c + l];
        }
}

/* conj(DFT_N(w)) / 2N of every (output, input) pair, packed for f_gemm (the 2 undoes f_forward's
 * doubled bins, the 1/N is the inverse transform's), and the FFT's tables; 0 if short of memory */
static int f_prepare(FState *s, const float *w, size_t co, size_t ci, int k, int n) {
    const int f = n / 2 + 1, h = n - k + 1, m = n / 2;
    const size_t gsize = (size_t)f * co * ci * 16 / 8;
    float *g = aligned_alloc(32, (gsize * sizeof(float) + 31) / 32 * 32);
    float *tw = malloc((size_t)(m / 2 + f) * 2 * sizeof(float));
    float *ct = malloc((size_t)k * f * 2 * sizeof(float)), *st = ct + (size_t)k * f; /* [K][F] each */
    if (!g || !tw || !ct) {
        free(g);
        free(tw);
        free(ct);
        return 0;
    }
    double cs[128][2]; /* cos, sin of 2 pi j / N (fconv_bad keeps N <= 128), exact on the axes */
    const double tau = 6.283185307179586476925 / n;
    for (int j = 0; j < n; j++) {
        const int q = 4 * j % n == 0 ? 4 * j / n : -1; /* a quarter turn's multiple */
        cs[j][0] = q == 0 ? 1.0 : q == 2 ? -1.0 : q == 1 || q == 3 ? 0.0 : cos(tau * j);
        cs[j][1] = q == 1 ? 1.0 : q == 3 ? -1.0 : q == 0 || q == 2 ? 0.0 : sin(tau * j);
    }
    /* the weights' transform: one small product per (output, input) pair, [K] x [K][F] tables of
     * cos and sin / 2N (in float: a node's first call takes a third of the time double took) */
    float re[65], im[65];
    for (int kk = 0; kk < k; kk++)
        for (int b = 0; b < f; b++) {
            ct[kk * f + b] = (float)(cs[b * kk % n][0] / (2.0 * n));
            st[kk * f + b] = (float)(cs[b * kk % n][1] / (2.0 * n));
        }
    for (size_t o = 0; o < co; o++)
        for (size_t c = 0; c < ci; c++) {
            const float *wk = w + (o * ci + c) * (size_t)k;
            for (int b = 0; b < f; b++) re[b] = im[b] = 0.0f;
            for (int kk = 0; kk < k; kk++)
                for (int b = 0; b < f; b++) {
                    re[b] += wk[kk] * ct[kk * f + b];
                    im[b] += wk[kk] * st[kk * f + b];
                }
            for (int b = 0; b < f; b++) {
                float *dst = g + (((size_t)b * (co / 8) + o / 8) * ci + c) * 16 + o % 8;
                dst[0] = re[b];
                dst[8] = im[b];
            }
        }
    /* e^-i2pi j/M (j < M/2) for the FFT, then e^-i2pi b/N (b <= M) for the split; the inverse
     * transforms use the same tables (f_inverse) */
    for (int j = 0; j < m / 2; j++) {
        tw[2 * j] = (float)cs[2 * j][0];
        tw[2 * j + 1] = (float)-cs[2 * j][1];
    }
    for (int b = 0; b < f; b++) {
        tw[m + 2 * b] = (float)cs[b][0];
        tw[m + 2 * b + 1] = (float)-cs[b][1];
    }
    free(ct);
    for (int q = 0, r = 0; q < m; q++) { /* r: q's bits reversed over log2 M */
        s->rev[q] = (unsigned char)r;
        int bit = m >> 1;
        for (; r & bit; bit >>= 1) r ^= bit;
        r |= bit;
    }
    s->ci = ci;
    s->co = co;
    s->k = k;
    s->n = n;
    s->f = f;
    s->h = h;
    s->g = g;
    s->tw = tw;
    return 1;
}

/* M = N/2 complex points (8 lanes each, in bit-reversed order) through the FFT in place (radix 2,
 * decimation in time); tw: e^-i2pi j/M, j < M/2.  With zr and zi swapped it is the inverse FFT
 * (unnormalised): the DFT of the swapped input, swapped back */
static inline void f_fft(__m256 *zr, __m256 *zi, int m, const float *tw) {
    for (int q = 0; q < m; q += 2) {
        const __m256 ur = zr[q], ui = zi[q];
        zr[q] = _mm256_add_ps(ur, zr[q + 1]);
        zi[q] = _mm256_add_ps(ui, zi[q + 1]);
        zr[q + 1] = _mm256_sub_ps(ur, zr[q + 1]);
        zi[q + 1] = _mm256_sub_ps(ui, zi[q + 1]);
    }
    for (int len = 4; len <= m; len <<= 1) {
        const int half = len / 2, step = m / len;
        for (int i = 0; i < m; i += len)
            for (int j = 0; j < half; j++) {
                const __m256 wr = _mm256_broadcast_ss(tw + 2 * j * step), wi = _mm256_broadcast_ss(tw + 2 * j * step + 1);
                const int a = i + j, b = a + half;
                const __m256 vr = _mm256_fmsub_ps(zr[b], wr, _mm256_mul_ps(zi[b], wi));
                const __m256 vi = _mm256_fmadd_ps(zr[b], wi, _mm256_mul_ps(zi[b], wr));
                zr[b] = _mm256_sub_ps(zr[a], vr);
                zi[b] = _mm256_sub_ps(zi[a], vi);
                zr[a] = _mm256_add_ps(zr[a], vr);
                zi[a] = _mm256_add_ps(zi[a], vi);
            }
    }
}

/* the phase's frames 0..n-1 (frame j: rows (j h + t) dil of p, t < N; p time-major [L][Ci]) to
 * xf [F][nbp][2][Ci] (real row, imaginary row) from frame k0 on: 2 DFT(x), from one FFT of M = N/2
 * points (even samples real, odd imaginary) split into the even and odd samples' transforms */
static void f_forward(const FState *s, const float *p, size_t dil, size_t n, float *xf, size_t nbp, size_t k0) {
    const size_t ci = s->ci, rs = dil * ci;
    const int m = s->n / 2;
    const float *e = s->tw + m;
    __m256 zr[64], zi[64];
    for (size_t j = 0; j < n; j++)
        for (size_t c = 0; c < ci; c += 8) {
            const float *pj = p + j * (size_t)s->h * rs + c;
            for (int q = 0; q < m; q++) {
                zr[q] = _mm256_loadu_ps(pj + (size_t)(2 * s->rev[q]) * rs);
                zi[q] = _mm256_loadu_ps(pj + (size_t)(2 * s->rev[q] + 1) * rs);
            }
            f_fft(zr, zi, m, s->tw);
            for (int b = 0; b <= m; b++) { /* X = (Z[b] + Z*[M-b]) - i e^(-i2pi b/N) (Z[b] - Z*[M-b]) */
                const int a = b % m, r = (m - b) % m;
                const __m256 sr = _mm256_add_ps(zr[a], zr[r]), si = _mm256_sub_ps(zi[a], zi[r]);
                const __m256 dr = _mm256_sub_ps(zr[a], zr[r]), di = _mm256_add_ps(zi[a], zi[r]);
                const __m256 er = _mm256_broadcast_ss(e + 2 * b), ei = _mm256_broadcast_ss(e + 2 * b + 1);
                float *dst = xf + (((size_t)b * nbp + k0 + j) * 2) * ci + c;
                _mm256_storeu_ps(dst, _mm256_add_ps(sr, _mm256_fmadd_ps(er, di, _mm256_mul_ps(ei, dr))));
                _mm256_storeu_ps(dst + ci, _mm256_add_ps(si, _mm256_fmsub_ps(ei, di, _mm256_mul_ps(er, dr))));
            }
        }
}

/* bin b: yf[b][j] = xf[b][j] * g[b] over the input channels, for FB frames and 8 outputs at a time */
static void f_gemm(const FState *s, const float *xf, float *yf, size_t nbp, size_t b) {
    const size_t ci = s->ci, co = s->co;
    const float *gb = s->g + b * (co / 8) * ci * 16, *xb = xf + b * nbp * 2 * ci;
    float *yb = yf + b * nbp * 2 * co;
    if (b == 0 || 2 * b == (size_t)s->n) { /* DC and Nyquist: real input, real weights, one product */
        for (size_t p = 0; p < co / 8; p++)
            for (size_t j = 0; j < nbp; j += FB) {
                __m256 re[FB];
                for (int u = 0; u < FB; u++) re[u] = _mm256_setzero_ps();
                const float *gp = gb + p * ci * 16, *x0 = xb + j * 2 * ci;
                for (size_t c = 0; c < ci; c++) {
                    const __m256 gr = _mm256_load_ps(gp + c * 16);
                    for (int u = 0; u < FB; u++) re[u] = _mm256_fmadd_ps(_mm256_broadcast_ss(x0 + u * 2 * ci + c), gr, re[u]);
                }
                for (int u = 0; u < FB; u++) {
                    float *dst = yb + (j + (size_t)u) * 2 * co + p * 8;
                    _mm256_storeu_ps(dst, re[u]);
                    _mm256_storeu_ps(dst + co, _mm256_setzero_ps());
                }
            }
        return;
    }
    for (size_t p = 0; p < co / 8; p++) {
        const float *gp = gb + p * ci * 16;
        for (size_t j = 0; j < nbp; j += FB) {
            __m256 re[FB], im[FB];
            for (int u = 0; u < FB; u++) re[u] = im[u] = _mm256_setzero_ps();
            const float *x0 = xb + j * 2 * ci;
            for (size_t c = 0; c < ci; c++) {
                const __m256 gr = _mm256_load_ps(gp + c * 16), gi = _mm256_load_ps(gp + c * 16 + 8);
                for (int u = 0; u < FB; u++) {
                    const __m256 xr = _mm256_broadcast_ss(x0 + u * 2 * ci + c);
                    re[u] = _mm256_fmadd_ps(xr, gr, re[u]);
                    im[u] = _mm256_fmadd_ps(xr, gi, im[u]);
                    const __m256 xi = _mm256_broadcast_ss(x0 + u * 2 * ci + ci + c);
                    re[u] = _mm256_fnmadd_ps(xi, gi, re[u]);
                    im[u] = _mm256_fmadd_ps(xi, gr, im[u]);
                }
            }
            for (int u = 0; u < FB; u++) {
                float *dst = yb + (j + (size_t)u) * 2 * co + p * 8;
                _mm256_storeu_ps(dst, re[u]);
                _mm256_storeu_ps(dst + co, im[u]);
            }
        }
    }
}

/* the phase's frames k0..k0+n-1 of yf back to time plus the bias, at rows (j h + t) dil of o [span][Co]:
 * the bins joined into M = N/2 points whose inverse FFT holds the even samples (real) and odd ones */
static void f_inverse(const FJob *jb, const float *yf, size_t nbp, size_t k0, size_t n, float *o) {
    const FState *s = jb->s;
    const size_t co = s->co, h = (size_t)s->h, rs = jb->dil * co;
    const int m = s->n / 2;
    const float *e = s->tw + m; /* e^-i2pi b/N: its conjugate below by the signs of ei */
    __m256 zr[64], zi[64];
    for (size_t j = 0; j < n; j++)
        for (size_t c = 0; c < co; c += 8) {
            for (int b = 0; b < m; b++) { /* Z = (Y[b] + Y*[M-b]) + i e^(i2pi b/N) (Y[b] - Y*[M-b]) */
                const float *ya = yf + (((size_t)b * nbp + k0 + j) * 2) * co + c;
                const float *yr = yf + (((size_t)(m - b) * nbp + k0 + j) * 2) * co + c;
                const __m256 ar = _mm256_loadu_ps(ya), ai = _mm256_loadu_ps(ya + co);
                const __m256 br = _mm256_loadu_ps(yr), bi = _mm256_loadu_ps(yr + co);
                const __m256 sr = _mm256_add_ps(ar, br), si = _mm256_sub_ps(ai, bi);
                const __m256 dr = _mm256_sub_ps(ar, br), di = _mm256_add_ps(ai, bi);
                const __m256 er = _mm256_broadcast_ss(e + 2 * b), ei = _mm256_broadcast_ss(e + 2 * b + 1);
                const int q = s->rev[b];
                zr[q] = _mm256_sub_ps(sr, _mm256_fmsub_ps(er, di, _mm256_mul_ps(ei, dr)));
                zi[q] = _mm256_add_ps(si, _mm256_fmadd_ps(er, dr, _mm256_mul_ps(ei, di)));
            }
            f_fft(zi, zr, m, s->tw);
            const __m256 bias = _mm256_loadu_ps(jb->bias + c);
            for (size_t t = 0; t < h; t++) {
                const __m256 v = t % 2 ? zi[t / 2] : zr[t / 2];
                _mm256_storeu_ps(o + ((j * h + t) * rs) + c, _mm256_add_ps(v, bias));
            }
        }
}

/* task = one stretch of `span` outputs, every phase: gather (time-major), forward, mix, inverse, scatter */
static void f_task(void *user, size_t task) {
    FJob *jb = (FJob *)user;
    const FState *s = jb->s;
    const size_t dil = jb->dil, n = jb->per_phase, span = jb->span, t0 = task * span;
    const size_t ci = s->ci, co = s->co, nbp = (dil * n + FB - 1) / FB * FB, len = span + (size_t)(s->k - 1) * dil;
    const size_t rows = len * ci > span * co ? len * ci : span * co; /* the input, then the output, time-major */
    const size_t floats = rows + (size_t)s->f * nbp * 2 * (ci + co);
    float *p = aligned_alloc(32, (floats * sizeof(float) + 31) / 32 * 32);
    if (!p) {
        jb->failed = 1;
        return;
    }
    float *xf = p + rows, *yf = xf + (size_t)s->f * nbp * 2 * ci;
    to_time_major(jb->x, jb->t, ci, (long)t0 - (long)((size_t)(s->k - 1) / 2 * dil), len, p);
    for (size_t b = 0; b < (size_t)s->f; b++) /* the padding frames: mixed like the others, never read */
        memset(xf + (b * nbp + dil * n) * 2 * ci, 0, (nbp - dil * n) * 2 * ci * sizeof(float));
    for (size_t ph = 0; ph < dil; ph++) f_forward(s, p + ph * ci, dil, n, xf, nbp, ph * n);
    for (size_t b = 0; b < (size_t)s->f; b++) f_gemm(s, xf, yf, nbp, b);
    for (size_t ph = 0; ph < dil; ph++) f_inverse(jb, yf, nbp, ph * n, n, p + ph * co);
    from_time_major(p, co, span, jb->y, jb->t, t0);
    free(p);
}

/* ---- WConv: 3-tap convolutions by Winograd's F(4, 3) (float32, AVX2 + FMA) ------------------- */

/* Why WConv: the vocoder's 3-tap convolutions (128 and 256 channels) were an eighth of the decoder
 * once FConv ran the long ones, and a frequency transform saves them too little.  Winograd's
 * minimal filtering F(4, 3) takes every tile of 6 inputs to 6 points (B^T x), mixes the channels
 * point by point (a real matrix product with the weights' points G w, made once per node) and
 * brings 4 outputs back (A^T): 1.5 multiply-adds per output and input channel instead of 3.  The
 * points 0, +-1, +-2 and infinity keep float32 rounding small (selftest.py checks against float64).
 * A dilated kernel is the plain kernel on each of its interleaved phases; a task takes every phase
 * of one stretch of time, so it reads and writes whole rows, turned between [C, T] and time-major
 * by 8x8 transposes in registers. */
#define WT 4             /* outputs per tile */
#define WN 6             /* inputs per tile, and points */
#define WFB 6            /* tiles per micro tile: 12 accumulators of 8 outputs */
#define WCB (8 * WFB)    /* tiles per task, over all phases */

typedef struct {
    pthread_mutex_t lock;
    int ready;
    const float *w;      /* the weights the points were made from (a constant initializer) */
    size_t ci, co;
    float *u;            /* [WN][Co/16][Ci][16]: G w per point, 16 outputs at a time */
} WState;

typedef struct {
    const WState *s;
    const float *x;      /* [Ci, T] */
    float *y;            /* [Co, T] */
    const float *bias;   /* [Co] */
    size_t t, dil, per_phase, span, tasks; /* tiles per phase and outputs per task */
    int failed;
} WJob;

static int w_prepare(WState *s, const float *w, size_t co, size_t ci) {
    static const double g[WN][3] = {{0.25, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                    {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
    float *u = aligned_alloc(32, WN * co * ci * sizeof(float));
    if (!u) return 0;
    for (size_t o = 0; o < co; o++)
        for (size_t c = 0; c < ci; c++) {
            const float *wk = w + (o * ci + c) * 3;
            for (int p = 0; p < WN; p++)
                u[(((size_t)p * (co / 16) + o / 16) * ci + c) * 16 + o % 16] =
                    (float)(g[p][0] * wk[0] + g[p][1] * wk[1] + g[p][2] * wk[2]);
        }
    s->u = u;
    s->ci = ci;
    s->co = co;
    return 1;
}

/* the phase's tiles 0..n-1 (rows (j WT + i) dil of p, i < 6) to their points, at xw [WN][nbp][Ci] from tile k0 (B^T x) */
static void w_forward(size_t ci, const float *p, size_t dil, size_t n, float *xw, size_t nbp, size_t k0) {
    const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f), five = _mm256_set1_ps(5.0f);
    const size_t rs = dil * ci, step = nbp * ci;
    for (size_t j = 0; j < n; j++)
        for (size_t c = 0; c < ci; c += 8) {
            const float *src = p + j * WT * rs + c;
            const __m256 x0 = _mm256_loadu_ps(src), x1 = _mm256_loadu_ps(src + rs), x2 = _mm256_loadu_ps(src + 2 * rs),
                         x3 = _mm256_loadu_ps(src + 3 * rs), x4 = _mm256_loadu_ps(src + 4 * rs),
                         x5 = _mm256_loadu_ps(src + 5 * rs);
            const __m256 a = _mm256_fnmadd_ps(four, x2, x4), b = _mm256_fnmadd_ps(four, x1, x3); /* x4 - 4x2, x3 - 4x1 */
            const __m256 d = _mm256_sub_ps(x4, x2), e = _mm256_mul_ps(two, _mm256_sub_ps(x3, x1));
            float *dst = xw + (k0 + j) * ci + c;
            _mm256_storeu_ps(dst, _mm256_fnmadd_ps(five, x2, _mm256_fmadd_ps(four, x0, x4)));
            _mm256_storeu_ps(dst + step, _mm256_add_ps(a, b));
            _mm256_storeu_ps(dst + 2 * step, _mm256_sub_ps(a, b));
            _mm256_storeu_ps(dst + 3 * step, _mm256_add_ps(d, e));
            _mm256_storeu_ps(dst + 4 * step, _mm256_sub_ps(d, e));
            _mm256_storeu_ps(dst + 5 * step, _mm256_fnmadd_ps(five, x3, _mm256_fmadd_ps(four, x1, x5)));
        }
}

/* point q: yw[q][j] = U[q] xw[q][j] over the input channels, WFB tiles and 16 outputs at a time */
static void w_gemm(const WState *s, const float *xw, float *yw, size_t nbp, size_t q) {
    const size_t ci = s->ci, co = s->co;
    const float *uq = s->u + q * co * ci, *xq = xw + q * nbp * ci;
    float *yq = yw + q * nbp * co;
    for (size_t og = 0; og < co / 16; og++) {
        const float *up = uq + og * ci * 16;
        for (size_t j = 0; j < nbp; j += WFB) {
            __m256 lo[WFB], hi[WFB];
            for (int f = 0; f < WFB; f++) lo[f] = hi[f] = _mm256_setzero_ps();
            const float *x0 = xq + j * ci;
            for (size_t c = 0; c < ci; c++) {
                const __m256 u0 = _mm256_load_ps(up + c * 16), u1 = _mm256_load_ps(up + c * 16 + 8);
                for (int f = 0; f < WFB; f++) {
                    const __m256 xv = _mm256_broadcast_ss(x0 + (size_t)f * ci + c);
                    lo[f] = _mm256_fmadd_ps(xv, u0, lo[f]);
                    hi[f] = _mm256_fmadd_ps(xv, u1, hi[f]);
                }
            }
            for (int f = 0; f < WFB; f++) {
                float *dst = yq + (j + (size_t)f) * co + og * 16;
                _mm256_storeu_ps(dst, lo[f]);
                _mm256_storeu_ps(dst + 8, hi[f]);
            }
        }
    }
}

/* the phase's tiles from k0 in yw back to outputs (A^T) plus the bias, at rows (j WT + i) dil of o [span][Co] */
static void w_inverse(const WJob *jb, const float *yw, size_t nbp, size_t k0, size_t n, float *o) {
    const size_t co = jb->s->co, step = nbp * co, rs = jb->dil * co;
    const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f), eight = _mm256_set1_ps(8.0f);
    for (size_t j = 0; j < n; j++)
        for (size_t c = 0; c < co; c += 8) {
            const float *src = yw + (k0 + j) * co + c;
            const __m256 m0 = _mm256_loadu_ps(src), m1 = _mm256_loadu_ps(src + step), m2 = _mm256_loadu_ps(src + 2 * step),
                         m3 = _mm256_loadu_ps(src + 3 * step), m4 = _mm256_loadu_ps(src + 4 * step),
                         m5 = _mm256_loadu_ps(src + 5 * step), bias = _mm256_loadu_ps(jb->bias + c);
            const __m256 s12 = _mm256_add_ps(m1, m2), d12 = _mm256_sub_ps(m1, m2);
            const __m256 s34 = _mm256_add_ps(m3, m4), d34 = _mm256_sub_ps(m3, m4);
            float *dst = o + j * WT * rs + c;
            _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_add_ps(m0, s12), _mm256_add_ps(s34, bias)));
            _mm256_storeu_ps(dst + rs, _mm256_add_ps(_mm256_fmadd_ps(two, d34, d12), bias));
            _mm256_storeu_ps(dst + 2 * rs, _mm256_add_ps(_mm256_fmadd_ps(four, s34, s12), bias));
            _mm256_storeu_ps(dst + 3 * rs, _mm256_add_ps(_mm256_fmadd_ps(eight, d34, d12), _mm256_add_ps(m5, bias)));
        }
}

/* task = one stretch of `span` outputs, every phase: gather, forward, mix, inverse, scatter */
static void w_task(void *user, size_t task) {
    WJob *jb = (WJob *)user;
    const WState *s = jb->s;
    const size_t dil = jb->dil, n = jb->per_phase, span = jb->span, t0 = task * span;
    const size_t ci = s->ci, co = s->co, nbp = (dil * n + WFB - 1) / WFB * WFB, len = span + 2 * dil;
    const size_t rows = len * ci > span * co ? len * ci : span * co; /* the input, then the output, time-major */
    const size_t floats = rows + WN * nbp * (ci + co);
    float *p = aligned_alloc(32, (floats * sizeof(float) + 31) / 32 * 32);
    if (!p) {
        jb->failed = 1;
        return;
    }
    float *xw = p + rows, *yw = xw + WN * nbp * ci, *o = p;
    to_time_major(jb->x, jb->t, ci, (long)t0 - (long)dil, len, p); /* row r: time t0 - dil + r */
    for (size_t q = 0; q < WN; q++) /* the padding tiles: mixed like the others, never read */
        memset(xw + (q * nbp + dil * n) * ci, 0, (nbp - dil * n) * ci * sizeof(float));
    for (size_t ph = 0; ph < dil; ph++) w_forward(ci, p + ph * ci, dil, n, xw, nbp, ph * n);
    for (size_t q = 0; q < WN; q++) w_gemm(s, xw, yw, nbp, q);
    for (size_t ph = 0; ph < dil; ph++) w_inverse(jb, yw, nbp, ph * n, n, o + ph * co);
    from_time_major(o, co, span, jb->y, jb->t, t0);
    free(p);
}
#endif

EXPORT int dubline_qconv_available(void) {
#ifdef HAVE_QCONV
    return 1;
#else
    return 0;
#endif
}

/* A convolution op's inputs (x [N, Ci, T] or [N, Ci, 1, T] first, weights [Co, Ci, K] or [Co, Ci, 1, K]
 * second) and its output, made with x's shape and Co channels. */
typedef struct {
    void *data[5];
    int64_t dims[MAX_DIMS], wd[4]; /* x's and w's shapes */
    size_t ndim, wdim;
    float *y;
} ConvIO;

/* 0 when onnxruntime refuses one of them or the ranks do not fit (then no output is made) */
static int conv_io(OrtKernelContext *ctx, size_t inputs, ConvIO *io) {
    const OrtValue *in[5] = {0};
    OrtShapeInfo *shape = NULL, *wshape = NULL;
    OrtValue *output = NULL;
    int64_t out[MAX_DIMS];
    int ok = 0;
    memset(io, 0, sizeof *io);
    for (size_t i = 0; i < inputs && i < 5; i++) {
        CHECK(CALL(SLOT_CONTEXT_INPUT, ContextInputFn)(ctx, i, &in[i]));
        CHECK(CALL(SLOT_TENSOR_DATA, TensorDataFn)((OrtValue *)in[i], &io->data[i]));
    }
    CHECK(CALL(SLOT_TYPE_AND_SHAPE, TypeAndShapeFn)(in[0], &shape));
    CHECK(CALL(SLOT_DIMS_COUNT, DimsCountFn)(shape, &io->ndim));
    CHECK(CALL(SLOT_TYPE_AND_SHAPE, TypeAndShapeFn)(in[1], &wshape));
    CHECK(CALL(SLOT_DIMS_COUNT, DimsCountFn)(wshape, &io->wdim));
    if ((io->ndim != 3 && io->ndim != 4) || (io->wdim != 3 && io->wdim != 4)) goto done;
    CHECK(CALL(SLOT_DIMS, DimsFn)(shape, io->dims, io->ndim));
    CHECK(CALL(SLOT_DIMS, DimsFn)(wshape, io->wd, io->wdim));
    memcpy(out, io->dims, io->ndim * sizeof(int64_t));
    out[1] = io->wd[0];
    CHECK(CALL(SLOT_CONTEXT_OUTPUT, ContextOutputFn)(ctx, 0, out, io->ndim, &output));
    CHECK(CALL(SLOT_TENSOR_DATA, TensorDataFn)(output, (void **)&io->y));
    ok = 1;
done:
    if (shape) CALL(SLOT_RELEASE_SHAPE, ReleaseFn)(shape);
    if (wshape) CALL(SLOT_RELEASE_SHAPE, ReleaseFn)(wshape);
    return ok;
}

/* x [N, Ci, T] or [N, Ci, 1, T] whose height is 1 and channels match w's */
static int conv_shapes_fit(const ConvIO *io) {
    return io->dims[1] == io->wd[1] && (io->ndim == 3 || io->dims[2] == 1) && (io->wdim == 3 || io->wd[2] == 1);
}

/* inputs: x [N, Ci, T] or [N, Ci, 1, T], w [Co, Ci, K], wcol [Ci], bias [Co], dilation [1] int64;
 * anything else (a height other than 1, channels not in fours, an even kernel) gives NaN */
static void compute_qconv(void *kernel_ptr, OrtKernelContext *ctx) {
    (void)kernel_ptr;
    ConvIO io;
    if (!conv_io(ctx, 5, &io)) return;
    const int64_t ci = io.wd[1], co = io.wd[0], t = io.dims[io.ndim - 1], batch = io.dims[0];
    const int bad = io.wdim != 3 || !conv_shapes_fit(&io) || ci % 4 || co % 4 || io.wd[2] % 2 == 0;
    const size_t n_out = (size_t)(batch * co * t);
#ifdef HAVE_QCONV
    if (!bad) {
        int ok = 1;
        for (int64_t b = 0; b < batch && ok && t > 0; b++) {
            QJob job;
            memset(&job, 0, sizeof job);
            job.x = (const float *)io.data[0] + b * ci * t;
            job.y = io.y + b * co * t;
            job.w = (const float *)io.data[1];
            job.wcol = (const float *)io.data[2];
            job.bias = (const float *)io.data[3];
            job.ci = (size_t)ci;
            job.co = (size_t)co;
            job.t = (size_t)t;
            job.k = (int)io.wd[2];
            job.dil = (int)((const int64_t *)io.data[4])[0];
            ok = job.dil > 0 && qconv_one(ctx, &job);
        }
        if (ok) return;
    }
#endif
    (void)bad;
    for (size_t i = 0; i < n_out; i++) io.y[i] = NAN; /* unmistakable, never silent */
}

EXPORT int dubline_fconv_available(void) {
#ifdef HAVE_FCONV
    return 1;
#else
    return 0;
#endif
}

#ifdef HAVE_FCONV
static int fconv_bad(size_t ci, size_t co, int k, long dil, long n) {
    return ci == 0 || co == 0 || ci % 8 || co % 8 || k < 1 || k % 2 == 0 || dil < 1 || n < 8 || n > 128 || (n & (n - 1)) || n <= k;
}

/* the state of one node, built from its weights at the first call; 0 if they do not fit it (the
 * weights must be an initializer: other weights than the first are refused, never half-used) */
static int fconv_ready(FState *s, const float *w, size_t co, size_t ci, int k, int n) {
    pthread_mutex_lock(&s->lock);
    if (!s->ready && (s->ready = f_prepare(s, w, co, ci, k, n))) s->w = w;
    const int ok = s->ready && s->w == w && s->ci == ci && s->co == co && s->k == k && s->n == n;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

/* one batch item: x [Ci, T] -> y [Co, T]; 0 when memory is short */
static int fconv_one(OrtKernelContext *ctx, const FState *s, const float *x, float *y, const float *bias, size_t t,
                     size_t dil) {
    FJob job = {s, x, y, bias, t, dil, 0, 0, 0, 0};
    job.tasks = stretches(t, dil, FCB, FB, (size_t)s->h, &job.per_phase, &job.span);
    if (t > 0) parallel(ctx, f_task, job.tasks, &job);
    return !job.failed;
}
#endif

/* inputs: x [N, Ci, T] or [N, Ci, 1, T], w [Co, Ci, K] or [Co, Ci, 1, K], bias [Co], params int64
 * [dilation, frame length]; anything else (channels not in eights, an even kernel) gives NaN */
static void compute_fconv(void *kernel_ptr, OrtKernelContext *ctx) {
    ConvIO io;
    if (!conv_io(ctx, 4, &io)) return;
    const int64_t ci = io.wd[1], co = io.wd[0], k = io.wd[io.wdim - 1], t = io.dims[io.ndim - 1], batch = io.dims[0];
    const int64_t *params = (const int64_t *)io.data[3];
    const size_t n_out = (size_t)(batch * co * t);
#ifdef HAVE_FCONV
    const int bad = !conv_shapes_fit(&io) || fconv_bad((size_t)ci, (size_t)co, (int)k, (long)params[0], (long)params[1]);
    if (!bad && fconv_ready((FState *)kernel_ptr, (const float *)io.data[1], (size_t)co, (size_t)ci, (int)k, (int)params[1])) {
        int ok = 1;
        for (int64_t b = 0; b < batch && ok; b++)
            ok = fconv_one(ctx, (const FState *)kernel_ptr, (const float *)io.data[0] + b * ci * t, io.y + b * co * t,
                           (const float *)io.data[2], (size_t)t, (size_t)params[0]);
        if (ok) return;
    }
#endif
    (void)kernel_ptr, (void)params, (void)k, (void)ci;
    for (size_t i = 0; i < n_out; i++) io.y[i] = NAN; /* unmistakable, never silent */
}

/* a zeroed per-node state whose first member is its lock (FState, WState); NULL without FConv or memory */
static void *create_locked(size_t size) {
#ifdef HAVE_FCONV
    pthread_mutex_t *s = calloc(1, size);
    if (s && pthread_mutex_init(s, NULL) != 0) {
        free(s);
        s = NULL;
    }
    return s;
#else
    (void)size;
    return NULL;
#endif
}

static void *create_fconv(void) {
#ifdef HAVE_FCONV
    return create_locked(sizeof(FState));
#else
    return NULL;
#endif
}

static void destroy_fconv(void *kernel) {
#ifdef HAVE_FCONV
    FState *s = (FState *)kernel;
    if (!s) return;
    pthread_mutex_destroy(&s->lock);
    free(s->g);
    free(s->tw);
    free(s);
#else
    (void)kernel;
#endif
}

#ifdef HAVE_FCONV
/* the weights' points, made at the first call (as fconv_ready) */
static int wconv_ready(WState *s, const float *w, size_t co, size_t ci) {
    pthread_mutex_lock(&s->lock);
    if (!s->ready && (s->ready = w_prepare(s, w, co, ci))) s->w = w;
    const int ok = s->ready && s->w == w && s->ci == ci && s->co == co;
    pthread_mutex_unlock(&s->lock);
    return ok;
}
#endif

/* inputs: x [N, Ci, T] or [N, Ci, 1, T], w [Co, Ci, 3] or [Co, Ci, 1, 3], bias [Co], params int64
 * [dilation]; anything else (input channels not in eights, outputs not in sixteens) gives NaN */
static void compute_wconv(void *kernel_ptr, OrtKernelContext *ctx) {
    ConvIO io;
    if (!conv_io(ctx, 4, &io)) return;
    const int64_t ci = io.wd[1], co = io.wd[0], k = io.wd[io.wdim - 1], t = io.dims[io.ndim - 1], batch = io.dims[0];
    const int64_t dil = ((const int64_t *)io.data[3])[0];
    const size_t n_out = (size_t)(batch * co * t);
#ifdef HAVE_FCONV
    const int bad = !conv_shapes_fit(&io) || k != 3 || ci <= 0 || co <= 0 || ci % 8 || co % 16 || dil < 1;
    if (!bad && wconv_ready((WState *)kernel_ptr, (const float *)io.data[1], (size_t)co, (size_t)ci)) {
        int ok = 1;
        for (int64_t b = 0; b < batch && ok && t > 0; b++) {
            WJob job = {(const WState *)kernel_ptr, (const float *)io.data[0] + b * ci * t, io.y + b * co * t,
                        (const float *)io.data[2], (size_t)t, (size_t)dil, 0, 0, 0, 0};
            job.tasks = stretches((size_t)t, (size_t)dil, WCB, WFB, WT, &job.per_phase, &job.span);
            parallel(ctx, w_task, job.tasks, &job);
            ok = !job.failed;
        }
        if (ok) return;
    }
#endif
    (void)kernel_ptr, (void)k, (void)ci, (void)dil;
    for (size_t i = 0; i < n_out; i++) io.y[i] = NAN; /* unmistakable, never silent */
}

static void *create_wconv(void) {
#ifdef HAVE_FCONV
    return create_locked(sizeof(WState));
#else
    return NULL;
#endif
}

static void destroy_wconv(void *kernel) {
#ifdef HAVE_FCONV
    WState *s = (WState *)kernel;
    if (!s) return;
    pthread_mutex_destroy(&s->lock);
    free(s->u);
    free(s);
#else
    (void)kernel;
#endif
}

static Kernel g_kernels[2];

static void *create_kernel(const CustomOp *op, ApiTable api, const void *info);
static const char *name_snake(const CustomOp *op) { (void)op; return "Snake"; }
static const char *name_sin(const CustomOp *op) { (void)op; return "Sin"; }
static const char *provider(const CustomOp *op) { (void)op; return "CPUExecutionProvider"; }
static int float_type(const CustomOp *op, size_t index) { (void)op; (void)index; return ELEMENT_FLOAT; }
static size_t one(const CustomOp *op) { (void)op; return 1; }
static size_t snake_inputs(const CustomOp *op) { (void)op; return 2; }
static void destroy(void *kernel) { (void)kernel; /* kernels are static */ }
static int required(const CustomOp *op, size_t index) { (void)op; (void)index; return CHARACTERISTIC_REQUIRED; }
static int alpha_optional(const CustomOp *op, size_t index) {
    (void)op;
    return index == 0 ? CHARACTERISTIC_REQUIRED : CHARACTERISTIC_OPTIONAL;
}
static int mem_default(const CustomOp *op, size_t index) { (void)op; (void)index; return MEM_DEFAULT; }

static const char *name_qconv(const CustomOp *op) { (void)op; return "QConv"; }
static size_t qconv_inputs(const CustomOp *op) { (void)op; return 5; }
static int qconv_input_type(const CustomOp *op, size_t index) {
    (void)op;
    return index == 4 ? ELEMENT_INT64 : ELEMENT_FLOAT;
}

static const char *name_fconv(const CustomOp *op) { (void)op; return "FConv"; }
static size_t fconv_inputs(const CustomOp *op) { (void)op; return 4; }
static int fconv_input_type(const CustomOp *op, size_t index) {
    (void)op;
    return index == 3 ? ELEMENT_INT64 : ELEMENT_FLOAT;
}

static const char *name_norm_snake(const CustomOp *op) { (void)op; return "NormSnake"; }
static size_t norm_snake_inputs(const CustomOp *op) { (void)op; return 5; }
static int last_optional(const CustomOp *op, size_t index) {
    (void)op;
    return index == 4 ? CHARACTERISTIC_OPTIONAL : CHARACTERISTIC_REQUIRED;
}

static const char *name_wconv(const CustomOp *op) { (void)op; return "WConv"; }

enum { OP_SNAKE, OP_SIN, OP_QCONV, OP_FCONV, OP_NORM_SNAKE, OP_WCONV, N_OPS };
static const CustomOp g_ops[N_OPS] = {
    {CUSTOM_OP_VERSION, create_kernel, name_snake, provider, float_type, snake_inputs, float_type, one, compute,
     destroy, alpha_optional, required, mem_default},
    {CUSTOM_OP_VERSION, create_kernel, name_sin, provider, float_type, one, float_type, one, compute, destroy,
     required, required, mem_default},
    {CUSTOM_OP_VERSION, create_kernel, name_qconv, provider, qconv_input_type, qconv_inputs, float_type, one,
     compute_qconv, destroy, required, required, mem_default},
    {CUSTOM_OP_VERSION, create_kernel, name_fconv, provider, fconv_input_type, fconv_inputs, float_type, one,
     compute_fconv, destroy_fconv, required, required, mem_default},
    {CUSTOM_OP_VERSION, create_kernel, name_norm_snake, provider, float_type, norm_snake_inputs, float_type, one,
     compute_norm_snake, destroy, last_optional, required, mem_default},
    {CUSTOM_OP_VERSION, create_kernel, name_wconv, provider, fconv_input_type, fconv_inputs, float_type, one,
     compute_wconv, destroy_wconv, required, required, mem_default},
};

static void *create_kernel(const CustomOp *op, ApiTable api, const void *info) {
    (void)api;
    (void)info;
    if (op == &g_ops[OP_FCONV]) return create_fconv(); /* per node: it keeps its weights' transform */
    if (op == &g_ops[OP_WCONV]) return create_wconv();
    return op == &g_ops[OP_SNAKE] ? &g_kernels[0] : &g_kernels[1];
}

EXPORT OrtStatus *RegisterCustomOps(OrtSessionOptions *options, const ApiBase *base) {
    OrtDomain *domain = NULL;
    OrtStatus *st;
    g_api = base->get_api(CUSTOM_OP_VERSION);
    if (!g_api) return NULL; /* cannot even report: the runtime predates ABI 13; session creation
                                then fails on the unknown ops and the engine runs without them */
    g_api17 = base->get_api(17);
    g_kernels[0].fn = snake_range;
    g_kernels[0].inputs = 2;
    g_kernels[1].fn = sin_range;
    g_kernels[1].inputs = 1;
    if ((st = CALL(SLOT_CREATE_DOMAIN, CreateDomainFn)("ai.dubline", &domain))) return st;
    for (int i = 0; i < N_OPS; i++) { /* QConv, and FConv with WConv, only where they are built */
        if ((i == OP_QCONV && !dubline_qconv_available()) || ((i == OP_FCONV || i == OP_WCONV) && !dubline_fconv_available()))
            continue;
        if ((st = CALL(SLOT_DOMAIN_ADD, DomainAddFn)(domain, &g_ops[i]))) return st;
    }
    /* the domain must outlive every session that uses it: it is never released */
    return CALL(SLOT_ADD_DOMAIN, AddDomainFn)(options, domain);
}

/* For benchmarks: run a kernel without onnxruntime (0 = Snake with alpha a, 1 = Sin). */
EXPORT void dubline_kernel(int which, const float *x, float *y, size_t n, float a) {
    (which == 0 ? snake_range : sin_range)(x, y, n, a);
}
