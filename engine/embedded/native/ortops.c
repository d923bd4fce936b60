/* Dubline's native kernels for onnxruntime's CPU provider (custom-op library).
 *
 * Domain "ai.dubline":
 *   Snake(x, a) = x + sin(a x)^2 / a   the vocoder's Snake activation, a per channel of an
 *                                      [N, C, T] tensor; without a (a = 1) it is the form
 *                                      u + sin(u)^2 left when engine/onnx_speed.py folds
 *                                      1/a into the next convolution
 *   Sin(x)      = sin(x)
 * Float32 tensors; Sin takes any shape.
 *
 * Why: onnxruntime's Sin is a scalar libm loop, and a Snake took four more full passes
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

enum { ELEMENT_FLOAT = 1, CHARACTERISTIC_REQUIRED = 0, CHARACTERISTIC_OPTIONAL = 1, MEM_DEFAULT = 0 };

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
    if (g_api17 && tasks > 1) {
        OrtStatus *st = ((ParallelForFn)g_api17[SLOT_PARALLEL_FOR])(ctx, run_task, tasks, 0, &job);
        if (st == NULL) goto done;
        release_status(st); /* fall back to this thread */
    }
    for (size_t i = 0; i < tasks; i++) run_task(&job, i);
done:
    if (shape) CALL(SLOT_RELEASE_SHAPE, ReleaseFn)(shape);
    if (alpha_shape) CALL(SLOT_RELEASE_SHAPE, ReleaseFn)(alpha_shape);
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

static const CustomOp g_ops[2] = {
    {CUSTOM_OP_VERSION, create_kernel, name_snake, provider, float_type, snake_inputs, float_type, one, compute,
     destroy, alpha_optional, required, mem_default},
    {CUSTOM_OP_VERSION, create_kernel, name_sin, provider, float_type, one, float_type, one, compute, destroy,
     required, required, mem_default},
};

static void *create_kernel(const CustomOp *op, ApiTable api, const void *info) {
    (void)api;
    (void)info;
    return op == &g_ops[0] ? &g_kernels[0] : &g_kernels[1];
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
    for (int i = 0; i < 2; i++)
        if ((st = CALL(SLOT_DOMAIN_ADD, DomainAddFn)(domain, &g_ops[i]))) return st;
    /* the domain must outlive every session that uses it: it is never released */
    return CALL(SLOT_ADD_DOMAIN, AddDomainFn)(options, domain);
}

/* For benchmarks: run a kernel without onnxruntime (0 = Snake with alpha a, 1 = Sin). */
EXPORT void dubline_kernel(int which, const float *x, float *y, size_t n, float a) {
    (which == 0 ? snake_range : sin_range)(x, y, n, a);
}
