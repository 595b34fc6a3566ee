/*
 * Compiled direct convolution for small kernels, 1-D and 2-D (float32 and
 * float64).
 *
 * numpy.convolve makes one dot-product call per output sample, so a kernel
 * of 5-100 taps spends most of its time in call overhead and horizontal
 * sums; scipy.ndimage.correlate is a scalar loop with a line buffer. This
 * loop instead keeps a tile of consecutive outputs of one row in vector
 * registers and adds one kernel tap to the whole tile at a time
 * (acc[u] += h[a][j] * x[r - a][t + u - j]): no reductions, so the compiler
 * vectorises it without -ffast-math, and every output is still the plain
 * IEEE sum of its products (in a different order than numpy's, and
 * contracted to FMA where the processor has it). The edges, where part of
 * the kernel hangs outside the signal, form only the products that exist,
 * as numpy.convolve does, so NaN and infinity land exactly where the
 * mathematical sum puts them.
 *
 * On x86-64 Linux with GCC 12 or later the kernels are compiled three times
 * (AVX-512, AVX2+FMA, baseline) and the loader picks the best one the
 * processor runs (target_clones); the module attribute ISA names it.
 * Elsewhere the compiler's baseline is used (ISA = "baseline").
 *
 * Python API (no NumPy headers needed: buffers come through the buffer
 * protocol, validated by fftconv._directloop before the call; the GIL is
 * released while the loop runs). code is 'd' (float64) or 'f' (float32);
 * x and h are read-only C-contiguous buffers of that type, y a writable one.
 *
 *     convolve(code, x, h, y, start)
 *         1-D, len(h) <= len(x): y[i] = sum_j h[j] x[start + i - j] over the
 *         existing terms, for i in [0, len(y)), with
 *         start + len(y) <= len(x) + len(h) - 1.
 *     convolve2d(code, x, h, y, n1, k1, m1, start0, start1)
 *         2-D, rows of n1, k1 and m1 items (x is n0 x n1, h k0 x k1 with
 *         k0 <= n0 and k1 <= n1, y m0 x m1): y[i][j] = the full convolution
 *         at (start0 + i, start1 + j), inside its n0 + k0 - 1 x n1 + k1 - 1.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && __GNUC__ >= 12
#define FFTCONV_HAVE_CLONES 1
#define FFTCONV_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FFTCONV_HAVE_CLONES 0
#define FFTCONV_CLONES
#endif

/* Which of the compiled kernels this processor runs (module attribute ISA; the
 * cost model scales its constants by it). */
static const char *
kernel_isa(void)
{
#if FFTCONV_HAVE_CLONES
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4"))
        return "x86-64-v4";
    if (__builtin_cpu_supports("x86-64-v3"))
        return "x86-64-v3";
    return "x86-64";
#else
    return "baseline";
#endif
}

/* Adds to y[t - start], t in [a, b), the existing products of one signal row
 * x (n samples) with one kernel row h (k taps), tap-major so that the inner
 * loop is a vectorisable axpy. Used at the edges, where part of the kernel
 * hangs outside the signal. */
#define EDGES_ADD(T, x, n, h, k, y, start, a, b)                        \
    do {                                                                \
        for (Py_ssize_t j_ = 0; j_ < (k); j_++) {                       \
            Py_ssize_t t0_ = (a) > j_ ? (a) : j_;                       \
            Py_ssize_t t1_ = (b) < j_ + (n) ? (b) : j_ + (n);           \
            const T c_ = (h)[j_];                                       \
            for (Py_ssize_t t_ = t0_; t_ < t1_; t_++)                   \
                (y)[t_ - (start)] += c_ * (x)[t_ - j_];                 \
        }                                                               \
    } while (0)

/* The window [start0, start0 + m0) x [start1, start1 + m1) of the full 2-D
 * convolution of x (n0 x n1) with h (k0 x k1), into y (m0 x m1), all
 * C-contiguous; 1-D is n0 = k0 = m0 = 1. Per output row, the columns where
 * every tap of a kernel row falls inside the signal run in tiles of TILE
 * outputs held in vector registers (256 bytes: four AVX-512 or eight AVX2
 * registers, enough independent sums to hide the FMA latency), adding one tap
 * of every kernel row that meets the signal at a time; the edge columns go
 * through EDGES_ADD. */
#define DEFINE_KERNEL(NAME, T, TILE)                                              \
    FFTCONV_CLONES static void NAME(const T *x, Py_ssize_t n0, Py_ssize_t n1,     \
                                    const T *h, Py_ssize_t k0, Py_ssize_t k1,     \
                                    T *y, Py_ssize_t start0, Py_ssize_t m0,       \
                                    Py_ssize_t start1, Py_ssize_t m1)             \
    {                                                                             \
        const Py_ssize_t stop1 = start1 + m1;                                     \
        const Py_ssize_t lo = k1 - 1 > start1 ? k1 - 1 : start1;                  \
        const Py_ssize_t hi = n1 < stop1 ? n1 : stop1; /* interior: [lo, hi) */   \
        const Py_ssize_t mid = stop1 < lo ? stop1 : lo;                           \
        for (Py_ssize_t i = 0; i < m0; i++) {                                     \
            const Py_ssize_t ti = start0 + i;                                     \
            const Py_ssize_t a0 = ti - n0 + 1 > 0 ? ti - n0 + 1 : 0;              \
            const Py_ssize_t a1 = ti + 1 < k0 ? ti + 1 : k0;                      \
            T *yr = y + i * m1;                                                   \
            for (Py_ssize_t t = start1; t < mid; t++)                             \
                yr[t - start1] = 0;                                               \
            for (Py_ssize_t a = a0; a < a1; a++)                                  \
                EDGES_ADD(T, x + (ti - a) * n1, n1, h + a * k1, k1, yr, start1,   \
                          start1, mid);                                           \
            Py_ssize_t t = mid;                                                   \
            for (; t + TILE <= hi; t += TILE) {                                   \
                T acc[TILE];                                                      \
                for (int u = 0; u < TILE; u++)                                    \
                    acc[u] = 0;                                                   \
                for (Py_ssize_t a = a0; a < a1; a++) {                            \
                    const T *xb = x + (ti - a) * n1 + t - (k1 - 1);               \
                    const T *hr = h + a * k1;                                     \
                    for (Py_ssize_t s = 0; s < k1; s++) {                         \
                        const T c = hr[k1 - 1 - s];                               \
                        for (int u = 0; u < TILE; u++)                            \
                            acc[u] += c * xb[u + s];                              \
                    }                                                             \
                }                                                                 \
                for (int u = 0; u < TILE; u++)                                    \
                    yr[t - start1 + u] = acc[u];                                  \
            }                                                                     \
            for (Py_ssize_t u = t; u < stop1; u++)                                \
                yr[u - start1] = 0;                                               \
            for (Py_ssize_t a = a0; a < a1; a++)                                  \
                EDGES_ADD(T, x + (ti - a) * n1, n1, h + a * k1, k1, yr, start1,   \
                          t, stop1);                                              \
        }                                                                         \
    }

DEFINE_KERNEL(convolve_f64, double, 32)
DEFINE_KERNEL(convolve_f32, float, 64)

/* Complex data (interleaved real, imaginary), code 'D' or 'F': the same loop
 * with complex products (hr xr - hi xi, hr xi + hi xr), one output pair per
 * two items. With GCC, vector extensions hold CW complex outputs per vector:
 * acc += broadcast(hr) * xv + (-hi, hi, ...) * swap_pairs(xv). */
#define CEDGES_ADD(T, x, n, h, k, y, start, a, b)                       \
    do {                                                                \
        for (Py_ssize_t j_ = 0; j_ < (k); j_++) {                       \
            Py_ssize_t t0_ = (a) > j_ ? (a) : j_;                       \
            Py_ssize_t t1_ = (b) < j_ + (n) ? (b) : j_ + (n);           \
            const T hr_ = (h)[2 * j_], hi_ = (h)[2 * j_ + 1];           \
            for (Py_ssize_t t_ = t0_; t_ < t1_; t_++) {                 \
                const T xr_ = (x)[2 * (t_ - j_)], xi_ = (x)[2 * (t_ - j_) + 1]; \
                (y)[2 * (t_ - (start))] += hr_ * xr_ - hi_ * xi_;       \
                (y)[2 * (t_ - (start)) + 1] += hr_ * xi_ + hi_ * xr_;   \
            }                                                           \
        }                                                               \
    } while (0)

#if defined(__GNUC__) && !defined(__clang__)
/* Two widths: 32-byte vectors compiled for AVX-512 and AVX2 (64-byte ones measured
 * 11x slower in the AVX2 clone, where GCC splits their shuffles), and 16-byte ones
 * for processors without AVX2 (SSE2, NEON: the 32-byte shuffles measured 2x slower
 * than scalar code there). complex_wide() picks at run time. */
#define FFTCONV_CVECTOR 1
typedef double cvd2 __attribute__((vector_size(32)));
typedef long long cvdi2 __attribute__((vector_size(32)));
typedef float cvf4 __attribute__((vector_size(32)));
typedef int cvfi4 __attribute__((vector_size(32)));
typedef double cvd1 __attribute__((vector_size(16)));
typedef long long cvdi1 __attribute__((vector_size(16)));
typedef float cvf2 __attribute__((vector_size(16)));
typedef int cvfi2 __attribute__((vector_size(16)));
#define CSWAP_D2 ((cvdi2){1, 0, 3, 2})
#define CSWAP_F4 ((cvfi4){1, 0, 3, 2, 5, 4, 7, 6})
#define CSGN_D2 ((cvd2){-1, 1, -1, 1})
#define CSGN_F4 ((cvf4){-1, 1, -1, 1, -1, 1, -1, 1})
#define CSWAP_D1 ((cvdi1){1, 0})
#define CSWAP_F2 ((cvfi2){1, 0, 3, 2})
#define CSGN_D1 ((cvd1){-1, 1})
#define CSGN_F2 ((cvf2){-1, 1, -1, 1})
#if FFTCONV_HAVE_CLONES
#define FFTCONV_WIDE_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif

/* NV vectors of V (CW complex outputs each) per tile: 16 complex128 or 32
 * complex64 outputs in both widths (fftconv._directloop._TILE). */
#define DEFINE_CKERNEL(NAME, T, V, CW, NV, SWAP, SGN, ATTR)                           \
    ATTR static void NAME(const T *x, Py_ssize_t n0, Py_ssize_t n1,               \
                                    const T *h, Py_ssize_t k0, Py_ssize_t k1,     \
                                    T *y, Py_ssize_t start0, Py_ssize_t m0,       \
                                    Py_ssize_t start1, Py_ssize_t m1)             \
    {                                                                             \
        enum { TILE = CW * NV };                                                  \
        const Py_ssize_t stop1 = start1 + m1;                                     \
        const Py_ssize_t lo = k1 - 1 > start1 ? k1 - 1 : start1;                  \
        const Py_ssize_t hi = n1 < stop1 ? n1 : stop1;                            \
        const Py_ssize_t mid = stop1 < lo ? stop1 : lo;                           \
        for (Py_ssize_t i = 0; i < m0; i++) {                                     \
            const Py_ssize_t ti = start0 + i;                                     \
            const Py_ssize_t a0 = ti - n0 + 1 > 0 ? ti - n0 + 1 : 0;              \
            const Py_ssize_t a1 = ti + 1 < k0 ? ti + 1 : k0;                      \
            T *yr = y + 2 * i * m1;                                               \
            for (Py_ssize_t t = start1; t < mid; t++)                             \
                yr[2 * (t - start1)] = yr[2 * (t - start1) + 1] = 0;              \
            for (Py_ssize_t a = a0; a < a1; a++)                                  \
                CEDGES_ADD(T, x + 2 * (ti - a) * n1, n1, h + 2 * a * k1, k1, yr,  \
                           start1, start1, mid);                                  \
            Py_ssize_t t = mid;                                                   \
            for (; t + TILE <= hi; t += TILE) {                                   \
                V acc[NV];                                                        \
                for (int u = 0; u < NV; u++)                                      \
                    acc[u] = (V){0};                                              \
                for (Py_ssize_t a = a0; a < a1; a++) {                            \
                    const T *xb = x + 2 * ((ti - a) * n1 + t - (k1 - 1));         \
                    const T *hr = h + 2 * a * k1;                                 \
                    for (Py_ssize_t s = 0; s < k1; s++) {                         \
                        const T cr = hr[2 * (k1 - 1 - s)];                        \
                        const T ci = hr[2 * (k1 - 1 - s) + 1];                    \
                        const V vr = cr - (V){0}, vi = (ci - (V){0}) * SGN;       \
                        for (int u = 0; u < NV; u++) {                            \
                            V xv;                                                 \
                            memcpy(&xv, xb + 2 * (s + u * CW), sizeof xv);        \
                            acc[u] += vr * xv + vi * __builtin_shuffle(xv, SWAP); \
                        }                                                         \
                    }                                                             \
                }                                                                 \
                memcpy(yr + 2 * (t - start1), acc, sizeof acc);                   \
            }                                                                     \
            for (Py_ssize_t u = t; u < stop1; u++)                                \
                yr[2 * (u - start1)] = yr[2 * (u - start1) + 1] = 0;              \
            for (Py_ssize_t a = a0; a < a1; a++)                                  \
                CEDGES_ADD(T, x + 2 * (ti - a) * n1, n1, h + 2 * a * k1, k1, yr,  \
                           start1, t, stop1);                                     \
        }                                                                         \
    }

#ifdef FFTCONV_CVECTOR
DEFINE_CKERNEL(convolve_c128, double, cvd1, 1, 16, CSWAP_D1, CSGN_D1, )
DEFINE_CKERNEL(convolve_c64, float, cvf2, 2, 16, CSWAP_F2, CSGN_F2, )
#ifdef FFTCONV_WIDE_CLONES
DEFINE_CKERNEL(convolve_c128_wide, double, cvd2, 2, 8, CSWAP_D2, CSGN_D2, FFTCONV_WIDE_CLONES)
DEFINE_CKERNEL(convolve_c64_wide, float, cvf4, 4, 8, CSWAP_F4, CSGN_F4, FFTCONV_WIDE_CLONES)

/* Whether the 32-byte kernels run (AVX2 or better). */
static int
complex_wide(void)
{
    static int wide = -1;
    if (wide < 0) {
        __builtin_cpu_init();
        wide = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return wide;
}
#define FFTCONV_COMPLEX_WIDE 1
#endif
#else
/* Without GCC's vector extensions: the edge loop over the whole row. */
#define DEFINE_CSCALAR(NAME, T)                                                   \
    static void NAME(const T *x, Py_ssize_t n0, Py_ssize_t n1, const T *h,        \
                     Py_ssize_t k0, Py_ssize_t k1, T *y, Py_ssize_t start0,       \
                     Py_ssize_t m0, Py_ssize_t start1, Py_ssize_t m1)             \
    {                                                                             \
        for (Py_ssize_t i = 0; i < m0; i++) {                                     \
            const Py_ssize_t ti = start0 + i;                                     \
            const Py_ssize_t a0 = ti - n0 + 1 > 0 ? ti - n0 + 1 : 0;              \
            const Py_ssize_t a1 = ti + 1 < k0 ? ti + 1 : k0;                      \
            T *yr = y + 2 * i * m1;                                               \
            for (Py_ssize_t t = 0; t < 2 * m1; t++)                               \
                yr[t] = 0;                                                        \
            for (Py_ssize_t a = a0; a < a1; a++)                                  \
                CEDGES_ADD(T, x + 2 * (ti - a) * n1, n1, h + 2 * a * k1, k1, yr,  \
                           start1, start1, start1 + m1);                          \
        }                                                                         \
    }
DEFINE_CSCALAR(convolve_c128, double)
DEFINE_CSCALAR(convolve_c64, float)
#endif
#ifndef FFTCONV_COMPLEX_WIDE /* one width only */
#define convolve_c128_wide convolve_c128
#define convolve_c64_wide convolve_c64
static int
complex_wide(void)
{
    return 0;
}
#endif

/* Parses (code, x, h, y, ...) into buffers and the item size; 0 on error. */
static Py_ssize_t
item_size(int code, Py_buffer *x, Py_buffer *h, Py_buffer *y)
{
    Py_ssize_t size = code == 'd' ? (Py_ssize_t)sizeof(double)
                    : code == 'f' ? (Py_ssize_t)sizeof(float)
                    : code == 'D' ? 2 * (Py_ssize_t)sizeof(double)
                    : code == 'F' ? 2 * (Py_ssize_t)sizeof(float) : 0;
    if (size == 0) {
        PyErr_Format(PyExc_ValueError, "code must be 'd', 'f', 'D' or 'F', got '%c'", code);
        return 0;
    }
    if (x->len % size || h->len % size || y->len % size) {
        PyErr_SetString(PyExc_ValueError, "buffer sizes are not whole numbers of items");
        return 0;
    }
    return size;
}

/* Whether 0 <= start <= start + m <= full, without overflow. */
static int
window_ok(Py_ssize_t start, Py_ssize_t m, Py_ssize_t full)
{
    return start >= 0 && m >= 0 && m <= full && start <= full - m;
}

/* Releases the three buffers; returns None when ok, else NULL (the error is set). */
static PyObject *
release(int ok, Py_buffer *x, Py_buffer *h, Py_buffer *y)
{
    PyBuffer_Release(x);
    PyBuffer_Release(h);
    PyBuffer_Release(y);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static void
run(int code, Py_buffer *x, Py_ssize_t n0, Py_ssize_t n1, Py_buffer *h, Py_ssize_t k0,
    Py_ssize_t k1, Py_buffer *y, Py_ssize_t start0, Py_ssize_t m0, Py_ssize_t start1,
    Py_ssize_t m1)
{
    Py_BEGIN_ALLOW_THREADS
    if (code == 'd')
        convolve_f64((const double *)x->buf, n0, n1, (const double *)h->buf, k0, k1,
                     (double *)y->buf, start0, m0, start1, m1);
    else if (code == 'f')
        convolve_f32((const float *)x->buf, n0, n1, (const float *)h->buf, k0, k1,
                     (float *)y->buf, start0, m0, start1, m1);
    else if (code == 'D')
        (complex_wide() ? convolve_c128_wide : convolve_c128)(
            (const double *)x->buf, n0, n1, (const double *)h->buf, k0, k1,
            (double *)y->buf, start0, m0, start1, m1);
    else
        (complex_wide() ? convolve_c64_wide : convolve_c64)(
            (const float *)x->buf, n0, n1, (const float *)h->buf, k0, k1,
            (float *)y->buf, start0, m0, start1, m1);
    Py_END_ALLOW_THREADS
}

static PyObject *
py_convolve(PyObject *self, PyObject *args)
{
    (void)self;
    int code;
    Py_buffer x, h, y;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "Cy*y*w*n:convolve", &code, &x, &h, &y, &start))
        return NULL;
    Py_ssize_t size = item_size(code, &x, &h, &y);
    if (size == 0)
        return release(0, &x, &h, &y);
    Py_ssize_t n = x.len / size, k = h.len / size, m = y.len / size;
    if (k < 1 || k > n || !window_ok(start, m, n + k - 1)) {
        PyErr_Format(PyExc_ValueError,
                     "need 1 <= len(h) <= len(x) and 0 <= start <= start + len(y) <= "
                     "len(x) + len(h) - 1, got len(x)=%zd len(h)=%zd len(y)=%zd start=%zd",
                     n, k, m, start);
        return release(0, &x, &h, &y);
    }
    run(code, &x, 1, n, &h, 1, k, &y, 0, 1, start, m);
    return release(1, &x, &h, &y);
}

static PyObject *
py_convolve2d(PyObject *self, PyObject *args)
{
    (void)self;
    int code;
    Py_buffer x, h, y;
    Py_ssize_t n1, k1, m1, start0, start1;
    if (!PyArg_ParseTuple(args, "Cy*y*w*nnnnn:convolve2d", &code, &x, &h, &y, &n1, &k1,
                          &m1, &start0, &start1))
        return NULL;
    Py_ssize_t size = item_size(code, &x, &h, &y);
    if (size == 0)
        return release(0, &x, &h, &y);
    Py_ssize_t nx = x.len / size, nh = h.len / size, ny = y.len / size;
    if (n1 < 1 || k1 < 1 || m1 < 1 || nx % n1 || nh % k1 || ny % m1) {
        PyErr_Format(PyExc_ValueError,
                     "row lengths must be positive and divide the buffers, got "
                     "n1=%zd k1=%zd m1=%zd for %zd, %zd and %zd items", n1, k1, m1, nx, nh, ny);
        return release(0, &x, &h, &y);
    }
    Py_ssize_t n0 = nx / n1, k0 = nh / k1, m0 = ny / m1;
    if (k0 < 1 || k0 > n0 || k1 > n1 || !window_ok(start0, m0, n0 + k0 - 1)
            || !window_ok(start1, m1, n1 + k1 - 1)) {
        PyErr_Format(PyExc_ValueError,
                     "need a kernel no larger than the signal and windows inside the full "
                     "convolution, got x %zd x %zd, h %zd x %zd, y %zd x %zd at (%zd, %zd)",
                     n0, n1, k0, k1, m0, m1, start0, start1);
        return release(0, &x, &h, &y);
    }
    run(code, &x, n0, n1, &h, k0, k1, &y, start0, m0, start1, m1);
    return release(1, &x, &h, &y);
}

static PyMethodDef methods[] = {
    {"convolve", py_convolve, METH_VARARGS,
     "convolve(code, x, h, y, start): y[i] = sum_j h[j] x[start + i - j] (see fftconv._direct)."},
    {"convolve2d", py_convolve2d, METH_VARARGS,
     "convolve2d(code, x, h, y, n1, k1, m1, start0, start1): the 2-D window (see the header)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_cdirect",
    "Compiled direct 1-D and 2-D convolution for small kernels (see fftconv._directloop).", -1,
    methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__cdirect(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddStringConstant(m, "ISA", kernel_isa()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
