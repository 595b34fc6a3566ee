/*
 * Spectral step of real float32 convolution done with half-length complex
 * transforms (fftconv._halfblocks).
 *
 * FFTW's real-to-complex float32 transforms barely use SIMD on some builds
 * (the pyFFTW wheel's FFTW 3.3.5: a length-L r2c + c2r pair costs 0.6-0.9x of
 * float64's), while its complex float32 transforms are fast (a length-L/2 c2c
 * pair: 0.25-0.45x of the float64 r2c pair). A real block x of even length L
 * read as L/2 complex numbers z[n] = x[2n] + i x[2n+1] has the spectrum
 * Z = FFT_{L/2}(z), and every product with a real kernel's spectrum H maps Z
 * to the spectrum U of the result read the same way:
 *
 *     U[k] = P[k] Z[k] + Q[k] conj(Z[(N - k) mod N]),   N = L / 2,
 *
 * with (w = exp(-2 pi i k / L), H[0..N] the real kernel's half spectrum)
 *
 *     a = (1 - i w) / 2,  b = (1 + i w) / 2,  c = (1 + i conj(w)) / 2,  d = (1 - i conj(w)) / 2,
 *     P[k] = c a H[k] + d b conj(H[N - k]),   Q[k] = c b H[k] + d a conj(H[N - k]).
 *
 * (the unpacking of Z into the real transform, the product, and the packing
 * of the product for the inverse, folded into one linear map). The inverse
 * transform of U, read as 2N reals, is then the circular convolution.
 *
 * Python API (buffers through the buffer protocol, validated here; the GIL is
 * released while the loops run):
 *
 *     coefficients(h, w, p, q)
 *         h: N + 1 complex64 (the kernel's half spectrum, scaled by 1 / N for
 *         the unnormalised inverse), w: N complex128 (the twiddles
 *         exp(-2 pi i k / 2N)), p, q: N complex64 written.
 *     pair(z, u, p, q, n)
 *         z, u: rows of n complex64 (u written, not overlapping z), p, q: n
 *         complex64; u[r][k] = p[k] z[r][k] + q[k] conj(z[r][(n - k) mod n]).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && __GNUC__ >= 12
#define FFTCONV_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif

/* The pass over rows of n bins: VLOOP (a vector loop from PAIR_VECTORS, or
 * nothing) advances k as far as it goes, a scalar loop does the rest. */
#define DEFINE_PAIR(NAME, ATTR, VLOOP)                                                \
    ATTR static void NAME(const float *restrict z, float *restrict u,                 \
                          const float *restrict p, const float *restrict q,           \
                          Py_ssize_t rows, Py_ssize_t n)                              \
    {                                                                                 \
        for (Py_ssize_t r = 0; r < rows; r++) {                                       \
            const float *restrict zr = z + 2 * r * n;                                 \
            float *restrict ur = u + 2 * r * n;                                       \
            Py_ssize_t k = 1;                                                         \
            {   /* k = 0 is its own partner */                                        \
                const float a = zr[0], b = zr[1];                                     \
                ur[0] = p[0] * a - p[1] * b + q[0] * a + q[1] * b;                    \
                ur[1] = p[0] * b + p[1] * a + q[1] * a - q[0] * b;                    \
            }                                                                         \
            VLOOP                                                                     \
            for (; k < n; k++) {                                                      \
                const float a = zr[2 * k], b = zr[2 * k + 1];                         \
                const float c = zr[2 * (n - k)], d = -zr[2 * (n - k) + 1];            \
                const float pr = p[2 * k], pi = p[2 * k + 1];                         \
                const float qr = q[2 * k], qi = q[2 * k + 1];                         \
                ur[2 * k] = pr * a - pi * b + qr * c - qi * d;                        \
                ur[2 * k + 1] = pr * b + pi * a + qr * d + qi * c;                    \
            }                                                                         \
        }                                                                             \
    }

/* Vectors V of VW complex numbers (VI: the index vector of the shuffles); the
 * partner bins conj(z[n - k]) come reversed from one load. */
#define PAIR_VECTORS(V, VW, REV, EVEN, ODD, SWAP, SGN)                                \
    for (; k + VW <= n; k += VW) {                                                    \
        V a, b, pk, qk;                                                               \
        memcpy(&a, zr + 2 * k, sizeof a);                                             \
        memcpy(&b, zr + 2 * (n - k - VW + 1), sizeof b);                              \
        memcpy(&pk, p + 2 * k, sizeof pk);                                            \
        memcpy(&qk, q + 2 * k, sizeof qk);                                            \
        const V c = __builtin_shuffle(b, REV) * -SGN; /* conj(z[n - k - i]) */        \
        const V res = __builtin_shuffle(pk, EVEN) * a                                 \
            + __builtin_shuffle(pk, ODD) * SGN * __builtin_shuffle(a, SWAP)           \
            + __builtin_shuffle(qk, EVEN) * c                                         \
            + __builtin_shuffle(qk, ODD) * SGN * __builtin_shuffle(c, SWAP);          \
        memcpy(ur + 2 * k, &res, sizeof res);                                         \
    }

#if defined(__GNUC__) && !defined(__clang__)
/* 32-byte vectors (four complex numbers) in the AVX-512 and AVX2 clones -- 64-byte
 * ones ran 4x slower in the AVX2 clone, where GCC splits their shuffles -- and
 * 16-byte ones (two) for the others (SSE2, NEON); pair_rows() picks at run time. */
typedef float vf4 __attribute__((vector_size(32)));
typedef int vi4 __attribute__((vector_size(32)));
typedef float vf2 __attribute__((vector_size(16)));
typedef int vi2 __attribute__((vector_size(16)));
DEFINE_PAIR(pair_narrow, ,
            PAIR_VECTORS(vf2, 2, ((vi2){2, 3, 0, 1}), ((vi2){0, 0, 2, 2}),
                         ((vi2){1, 1, 3, 3}), ((vi2){1, 0, 3, 2}), ((vf2){-1, 1, -1, 1})))
#ifdef FFTCONV_CLONES
DEFINE_PAIR(pair_wide, FFTCONV_CLONES,
            PAIR_VECTORS(vf4, 4, ((vi4){6, 7, 4, 5, 2, 3, 0, 1}),
                         ((vi4){0, 0, 2, 2, 4, 4, 6, 6}), ((vi4){1, 1, 3, 3, 5, 5, 7, 7}),
                         ((vi4){1, 0, 3, 2, 5, 4, 7, 6}),
                         ((vf4){-1, 1, -1, 1, -1, 1, -1, 1})))

static void
pair_rows(const float *z, float *u, const float *p, const float *q, Py_ssize_t rows,
          Py_ssize_t n)
{
    static int wide = -1;
    if (wide < 0) {
        __builtin_cpu_init();
        wide = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    (wide ? pair_wide : pair_narrow)(z, u, p, q, rows, n);
}
#else
#define pair_rows pair_narrow
#endif
#else
DEFINE_PAIR(pair_rows, , ) /* without GCC's vector extensions: scalar */
#endif

static void
coefficients(const float *h, const double *w, float *p, float *q, Py_ssize_t n)
{
    for (Py_ssize_t k = 0; k < n; k++) {
        const double wr = w[2 * k], wi = w[2 * k + 1];
        /* a = (1 - i w)/2, b = (1 + i w)/2, c = (1 + i conj w)/2, d = (1 - i conj w)/2 */
        const double ar = (1 + wi) / 2, ai = -wr / 2, br = (1 - wi) / 2, bi = wr / 2;
        const double cr = (1 + wi) / 2, ci = wr / 2, dr = (1 - wi) / 2, di = -wr / 2;
        const double hr = h[2 * k], hi = h[2 * k + 1];
        const double gr = h[2 * (n - k)], gi = -h[2 * (n - k) + 1]; /* conj(H[n - k]) */
        const double car = cr * ar - ci * ai, cai = cr * ai + ci * ar;
        const double dbr = dr * br - di * bi, dbi = dr * bi + di * br;
        const double cbr = cr * br - ci * bi, cbi = cr * bi + ci * br;
        const double dar = dr * ar - di * ai, dai = dr * ai + di * ar;
        p[2 * k] = (float)(car * hr - cai * hi + dbr * gr - dbi * gi);
        p[2 * k + 1] = (float)(car * hi + cai * hr + dbr * gi + dbi * gr);
        q[2 * k] = (float)(cbr * hr - cbi * hi + dar * gr - dai * gi);
        q[2 * k + 1] = (float)(cbr * hi + cbi * hr + dar * gi + dai * gr);
    }
}

/* Whether buf holds a whole number of items of `size` bytes, `count` of them
 * if count >= 0; else sets a ValueError naming the buffer. */
static int
holds(Py_buffer *buf, Py_ssize_t size, Py_ssize_t count, const char *name)
{
    if (buf->len % size || (count >= 0 && buf->len / size != count)) {
        if (count >= 0)
            PyErr_Format(PyExc_ValueError, "%s must hold %zd items of %zd bytes, got %zd bytes",
                         name, count, size, buf->len);
        else
            PyErr_Format(PyExc_ValueError, "%s must hold whole rows of %zd bytes, got %zd bytes",
                         name, size, buf->len);
        return 0;
    }
    return 1;
}

/* Whether two buffers share any byte. */
static int
overlap(const Py_buffer *a, const Py_buffer *b)
{
    const char *a0 = a->buf, *b0 = b->buf;
    return a0 < b0 + b->len && b0 < a0 + a->len;
}

static PyObject *
py_coefficients(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer h, w, p, q;
    if (!PyArg_ParseTuple(args, "y*y*w*w*:coefficients", &h, &w, &p, &q))
        return NULL;
    const Py_ssize_t n = w.len / 16;
    int ok = n >= 1 && holds(&w, 16, n, "w") && holds(&h, 8, n + 1, "h")
             && holds(&p, 8, n, "p") && holds(&q, 8, n, "q");
    if (ok && (overlap(&p, &q) || overlap(&p, &h) || overlap(&q, &h) || overlap(&p, &w)
               || overlap(&q, &w))) {
        PyErr_SetString(PyExc_ValueError, "p and q must not overlap each other, h or w");
        ok = 0;
    }
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        coefficients(h.buf, w.buf, p.buf, q.buf, n);
        Py_END_ALLOW_THREADS
    } else if (!PyErr_Occurred()) {
        PyErr_SetString(PyExc_ValueError, "w must hold at least one complex128");
    }
    PyBuffer_Release(&h);
    PyBuffer_Release(&w);
    PyBuffer_Release(&p);
    PyBuffer_Release(&q);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
py_pair(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer z, u, p, q;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "y*w*y*y*n:pair", &z, &u, &p, &q, &n))
        return NULL;
    int ok = n >= 1 && holds(&p, 8, n, "p") && holds(&q, 8, n, "q")
             && holds(&z, 8 * n, -1, "z") && holds(&u, 8 * n, z.len / (8 * n), "u");
    if (ok && (overlap(&u, &z) || overlap(&u, &p) || overlap(&u, &q))) {
        PyErr_SetString(PyExc_ValueError, "u must not overlap z, p or q");
        ok = 0;
    }
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        pair_rows(z.buf, u.buf, p.buf, q.buf, z.len / (8 * n), n);
        Py_END_ALLOW_THREADS
    } else if (!PyErr_Occurred()) {
        PyErr_Format(PyExc_ValueError, "n must be positive, got %zd", n);
    }
    PyBuffer_Release(&z);
    PyBuffer_Release(&u);
    PyBuffer_Release(&p);
    PyBuffer_Release(&q);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"coefficients", py_coefficients, METH_VARARGS,
     "coefficients(h, w, p, q): the maps P, Q of a real kernel's half spectrum h."},
    {"pair", py_pair, METH_VARARGS,
     "pair(z, u, p, q, n): u[r][k] = p[k] z[r][k] + q[k] conj(z[r][(n - k) % n])."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_chalf",
    "Real float32 convolution on half-length complex transforms (see fftconv._halfblocks).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__chalf(void)
{
    return PyModule_Create(&module);
}
