/*
 * Compiled direct 1-D convolution for short kernels (float32 and float64).
 *
 * numpy.convolve makes one dot-product call per output sample, so a kernel
 * of 5-100 taps spends most of its time in call overhead and horizontal
 * sums. This loop instead keeps a tile of consecutive outputs in vector
 * registers and adds one kernel tap to the whole tile at a time
 * (acc[u] += h[j] * x[t + u - j]): no reductions, so the compiler vectorises
 * it without -ffast-math, and every output is still the plain IEEE sum of its
 * products (in a different order than numpy's, and contracted to FMA where
 * the processor has it). The edges, where part of the kernel hangs outside
 * the signal, form only the products that exist, as numpy.convolve does, so
 * NaN and infinity land exactly where the mathematical sum puts them.
 *
 * On x86-64 Linux with GCC the kernels are compiled three times (AVX-512,
 * AVX2+FMA, baseline) and the loader picks the best one the processor runs
 * (target_clones); the module attribute ISA names it. Elsewhere the
 * compiler's baseline is used (ISA = "baseline").
 *
 * Python API (no NumPy headers needed: buffers come through the buffer
 * protocol, validated by fftconv._direct before the call):
 *
 *     convolve(code, x, h, y, start)
 *
 * code 'd' (float64) or 'f' (float32); x, h read-only C-contiguous buffers
 * of that type with len(h) <= len(x); y a writable one. Writes
 * y[i] = sum_j h[j] * x[start + i - j] over the existing terms, for
 * i in [0, len(y)), with start + len(y) <= len(x) + len(h) - 1.
 * The GIL is released while it runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

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

/* Outputs t in [a, b) from the existing products only, tap-major so that the
 * inner loop is a vectorisable axpy; each output still sums j ascending. */
#define EDGES(T, x, n, h, k, y, start, a, b)                                \
    do {                                                                \
        for (Py_ssize_t t_ = (a); t_ < (b); t_++)                        \
            (y)[t_ - (start)] = 0;                                      \
        for (Py_ssize_t j_ = 0; j_ < (k); j_++) {                       \
            Py_ssize_t t0_ = (a) > j_ ? (a) : j_;                       \
            Py_ssize_t t1_ = (b) < j_ + (n) ? (b) : j_ + (n);           \
            const T c_ = (h)[j_];                                       \
            for (Py_ssize_t t_ = t0_; t_ < t1_; t_++)                    \
                (y)[t_ - (start)] += c_ * (x)[t_ - j_];                 \
        }                                                               \
    } while (0)

/* TILE outputs per step: 256 bytes of accumulators, four AVX-512 or eight
 * AVX2 registers, enough independent sums to hide the FMA latency. */
#define DEFINE_KERNEL(NAME, T, TILE)                                              \
    FFTCONV_CLONES static void NAME(const T *x, Py_ssize_t n, const T *h,         \
                                    Py_ssize_t k, T *y, Py_ssize_t start,         \
                                    Py_ssize_t stop)                              \
    {                                                                             \
        Py_ssize_t lo = k - 1 > start ? k - 1 : start; /* interior: [k-1, n) */  \
        Py_ssize_t hi = n < stop ? n : stop;                                      \
        Py_ssize_t t = start;                                                     \
        t = stop < lo ? stop : lo;                                                \
        EDGES(T, x, n, h, k, y, start, start, t);                                 \
        for (; t + TILE <= hi; t += TILE) {                                       \
            T acc[TILE];                                                          \
            const T *xb = x + t - (k - 1);                                        \
            for (int u = 0; u < TILE; u++)                                        \
                acc[u] = 0;                                                       \
            for (Py_ssize_t s = 0; s < k; s++) {                                  \
                const T c = h[k - 1 - s];                                         \
                for (int u = 0; u < TILE; u++)                                    \
                    acc[u] += c * xb[u + s];                                      \
            }                                                                     \
            for (int u = 0; u < TILE; u++)                                        \
                y[t - start + u] = acc[u];                                        \
        }                                                                         \
        EDGES(T, x, n, h, k, y, start, t, stop);                                  \
    }

DEFINE_KERNEL(convolve_f64, double, 32)
DEFINE_KERNEL(convolve_f32, float, 64)

static PyObject *
py_convolve(PyObject *self, PyObject *args)
{
    (void)self;
    int code;
    Py_buffer x, h, y;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "Cy*y*w*n:convolve", &code, &x, &h, &y, &start))
        return NULL;
    Py_ssize_t size = code == 'd' ? (Py_ssize_t)sizeof(double)
                    : code == 'f' ? (Py_ssize_t)sizeof(float) : 0;
    PyObject *result = NULL;
    if (size == 0) {
        PyErr_Format(PyExc_ValueError, "code must be 'd' or 'f', got '%c'", code);
        goto done;
    }
    if (x.len % size || h.len % size || y.len % size) {
        PyErr_SetString(PyExc_ValueError, "buffer sizes are not whole numbers of items");
        goto done;
    }
    Py_ssize_t n = x.len / size, k = h.len / size, m = y.len / size;
    if (k < 1 || k > n || start < 0 || m > n + k - 1 || start > n + k - 1 - m) {
        PyErr_Format(PyExc_ValueError,
                     "need 1 <= len(h) <= len(x) and 0 <= start <= start + len(y) <= "
                     "len(x) + len(h) - 1, got len(x)=%zd len(h)=%zd len(y)=%zd start=%zd",
                     n, k, m, start);
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    if (code == 'd')
        convolve_f64((const double *)x.buf, n, (const double *)h.buf, k, (double *)y.buf,
                     start, start + m);
    else
        convolve_f32((const float *)x.buf, n, (const float *)h.buf, k, (float *)y.buf,
                     start, start + m);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&x);
    PyBuffer_Release(&h);
    PyBuffer_Release(&y);
    return result;
}

static PyMethodDef methods[] = {
    {"convolve", py_convolve, METH_VARARGS,
     "convolve(code, x, h, y, start): y[i] = sum_j h[j] x[start + i - j] (see fftconv._direct)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_cdirect",
    "Compiled direct 1-D convolution for short kernels (see fftconv._direct).", -1, methods,
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
