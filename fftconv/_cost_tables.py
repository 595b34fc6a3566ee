"""The cost model's data (:mod:`fftconv._costs` holds the formulas): the FFT
ladder, the constants of every engine and the per-block tables of overlap-save,
each with its provenance."""

# Ladder sizes for F(n): 2**4 ... 2**22.
LADDER = [2**e for e in range(4, 23, 2)]

#: FFT times in nanoseconds for :data:`LADDER`, single thread, FFTW_ESTIMATE plans.
#: Provenance: fftconv development machine (2-core x86-64 VM, 24 GiB), 2026-11-25,
#: pyfftw 0.15.1, median of 9-31 executions of a pre-planned transform.
#: Accuracy: +-20% between runs on that (shared, noisy) machine.
SHIPPED_FFT_NS: dict[str, list[float]] = {
    "rfft64": [96, 152, 342, 986, 4220, 29600, 127000, 1090000, 5700000, 38800000],
    "rfft32": [96, 182, 337, 1160, 4780, 21600, 122000, 572000, 4860000, 22800000],
    "cfft64": [102, 147, 408, 1670, 10200, 58100, 279000, 2590000, 17800000, 108000000],
    "cfft32": [119, 125, 236, 929, 5100, 38900, 159000, 1410000, 16600000, 90600000],
}

#: Other constants of the model (nanoseconds). Provenance: same machine and
#: date as :data:`SHIPPED_FFT_NS`, timed with numpy 2.4 / scipy 1.17 on
#: float64 arrays of 1e5-1e6 elements (medians of 5).
CONSTANTS: dict[str, float] = {
    "call_overhead": 40_000.0,  # set-up of one FFT/overlap call through the public API
    # the lean 1-D path (fftconv._fast1d, cached jobs), measured 2026-11-25: 1000-sample
    # calls, total minus the transforms, medians of 2000
    "lean_overhead": 6_000.0,  # one-FFT job: copies, product, job check-out
    "lean_oa_overhead": 10_000.0,  # overlap-save job: kernel spectrum, batches, checks
    # fitted on 27 problems (N 2e3 .. 1e5, K 31 .. 3001), measured / predicted:
    "lean_oa_in_cache": 0.8,  # overlap-save on a signal of at most 1 MiB
    "oa_extra_overhead": 10_000.0,  # overlap-save's extra set-up (kernel spectrum, 3 plans)
    "block_overhead": 3_500.0,  # per overlap block (Python loop, plan dispatch)
    "non_pow2": 1.3,  # FFT of a 3/5/7-smooth size vs the ladder's powers of two (n log n)
    # ... and from NON_POW2_LARGE points on, where FFTW_ESTIMATE's power-of-two plans are
    # the slower ones (refitted 2026-11-25: forward + inverse, 56 sizes 160 .. 1.9M)
    "non_pow2_large": 0.85,
    # ... but not in single precision, where powers of two stay the faster plans (lean
    # overlap-save blocks 4096 .. 245760, fitted 2026-11-25: 36 sizes, K = L/8) up to
    # SINGLE_POW2_SLOW points; from there on (forward + inverse pairs 2**19 .. 2**22
    # against smooth neighbours 8 % below and 10 % above) they are the slower ones too
    "non_pow2_large_single": 1.1,
    "non_pow2_huge_single": 0.8,
    # ... and float32 lean blocks on half-length complex transforms (fftconv._halfblocks):
    # smooth lengths in HALF_SMOOTH_FAST (exclusive, inclusive] run 0.86x the
    # power-of-two rate, the others non_pow2_large_single (fitted 2026-12-05: 38 sizes
    # 3072 .. 233280 against their power-of-two neighbours in the same run, K = L/8;
    # 0.79-1.10 inside that range, 0.92-1.40 outside)
    "non_pow2_half": 0.86,
    "batch_out_of_cache": 2.0,  # batched FFTs beyond 2 MiB vs the ladder (factor)
    # N-D tiles, refitted 2026-11-25 on the same machine: 1024x1024 'same' with 9/31/101
    # kernels, 6-10 tile shapes each (32x64 ... 1024x256) plus blocks and full FFT, medians
    # of 5 interleaved rounds; predictions within 15% (rms log error 0.19 over 36 cases) and
    # the measured-fastest tile picked for all three kernels.
    # strips (fftconv._strips), fitted 2026-11-25 on the same machine to 1024x1024 'same'
    # with 3/9/31/101 kernels and strip heights 16-512 (12 cases, within 15%)
    "strip_factor": 0.49,  # measured / ladder-predicted time for a 1 MiB strip
    "strip_cache_exp": 0.45,  # growth with the strip's bytes beyond that
    "strip_overhead": 8_000.0,  # per strip (Python loop, five executes), from 256x256 images
    "tile_overhead": 8_000.0,  # per N-D tile (Python slicing, margin zeroing, 2 executes)
    "tile_passes": 2.2,  # copies/products per tile element, in units of block_elem
    # (refitted 2026-11-25: 2.5-3.1 ns per element beside the transforms, measured
    # on 3-D tiles of 24576-46080 points)
    "block_elem": 1.2,  # per real sample of a block: copy in, multiply, copy out (in cache)
    # the compiled direct loop (fftconv/_cdirect.c), fitted 2026-11-25 on the same machine
    # (AVX-512 clone) to N = 2**14 .. 2**22 with 3 .. 64 taps: per output and per
    # tap-output (within 20 % up to 2**20 samples; at 4M float64 outputs, memory-bound
    # with up to 7 taps, up to 2x more)
    "cdirect_out_f64": 0.26,
    "cdirect_mac_f64": 0.058,
    "cdirect_out_f32": 0.13,
    "cdirect_mac_f32": 0.029,
    # ... and the 2-D loop, fitted to 1024x1024 'same' with 3x3 .. 31x31 kernels
    # (6 sizes, within 8 %; with the edge term below, 40 cases 64x64 .. 1024x1024 within
    # about 25 %)
    "cdirect_out_f64_2d": 0.39,
    "cdirect_mac_f64_2d": 0.077,
    "cdirect_out_f32_2d": 0.22,
    "cdirect_mac_f32_2d": 0.044,
    # extra per multiply-add in the 2-D loop's edge columns (either precision), fitted to
    # 64x64 .. 512x512 with 3x3 .. 15x15 kernels, 'same' and 'full' (32 cases)
    "cdirect_edge_mac_2d": 0.12,
    # integer 2-D results (in float64, then cast), beside the loop's own time, per
    # output: measured 2026-12-05 on the AMD EPYC VM, 64x64 .. 1024x1024, 3x3 .. 9x9
    "cdirect_int_out_2d": 2.0,
    # the complex 2-D loop (interleaved, DEFINE_CKERNEL) against the real loop of its
    # parts' precision on the same shapes (a factor, not ns): 2026-12-05, same VM,
    # 9 shapes 15x69 .. 1024x1024 with 1x6 .. 15x15 kernels: medians 1.78 (complex128)
    # and 1.72 (complex64), 1.25-1.45 on the small ones, 1.7-2.1 on images of 256x256
    # and more (one outlier 3.2), which is where the choice against the FFT engines is made
    "cdirect_complex_2d": 2.0,
    # ... and in 1-D (2026-12-05, same VM, 32-byte vectors: 8 sizes 1000 x 24 .. 1e6 x 31,
    # medians of 15; complex128 1.72-2.48, median 1.83; complex64 1.93-2.48, median 2.30)
    "cdirect_complex_1d": 1.85,
    "cdirect_complex_1d_single": 2.3,
    "np_convolve_mac_short": 0.32,  # numpy.convolve, kernel < 64 taps, per multiply-add
    "np_convolve_mac_long": 0.08,  # numpy.convolve, kernel >= 64 taps
    "ndimage_mac": 0.5,  # scipy.ndimage.correlate, per multiply-add
    "ndimage_out": 3.5,  # and per output sample (refitted 2026-11-25: 3x3-9x9 on 256/1024)
    "loop_elem": 2.5,  # shifted-sum loop (ints, objects), per output element per tap
    "loop_tap": 6_000.0,  # shifted-sum loop, per kernel element
    "copy_elem": 0.6,  # copying / zero padding one element
    "cmul_elem": 1.6,  # one complex multiply of the spectra
    # N-D tiles: per tile axis whose length is not a multiple of 16 (2026-11-25:
    # (54, 54, 18) f32 transforms 2.2x the ladder, (36, 30, 12) f64 3x; tiles of
    # 36 against 32 on 300x400x20 * 11x11x5, 2.3x slower overall)
    "tile_odd_axis": 1.5,
}

#: Transform length from which 3/5/7-smooth sizes beat powers of two per n log n.
NON_POW2_LARGE = 8192
#: ... and the length from which they do so in single precision as well.
SINGLE_POW2_SLOW = 2**19
#: Block lengths where smooth sizes beat powers of two on half-length complex transforms.
HALF_SMOOTH_FAST = (2**14, 2**17)


#: Time of one 1-D overlap-save block (copy in, forward FFT, spectral product,
#: inverse FFT, copy out, batched as the engine runs it), in nanoseconds, for
#: block lengths 2**8 .. 2**18, float64 and float32 (complex: 2.2x float64).
#: Provenance: development VM (2 cores), 2026-11-25, `_overlap.convolve_window`
#: on 2e6 samples with K = L/16, medians of 5 runs, one thread; +-15 %.
OA_BLOCK_NS = (
    [2**e for e in range(8, 19)],
    {"float64": [1541, 3017, 5805, 11469, 23662, 57289, 128200, 293836, 604913, 1383314,
                 3799379],
     "float32": [1092, 2127, 4522, 9218, 19321, 40164, 75667, 177391, 403071, 894546,
                 1844605]},
)


#: The same for the lean 1-D path (:mod:`fftconv._fast1d`: blocks read in place
#: from the caller's array, one plan for every batch). Provenance: as above,
#: ``_fast1d.convolve(..., method='oa', block=L)`` on 2**21 samples, K = L/16 + 1,
#: medians of 5.
#:
#: float32 blocks run on half-length complex transforms (:mod:`fftconv._halfblocks`);
#: their row was measured 2026-12-05 on the same VM as float32/float64 time
#: ratios (the same procedure, interleaved; mean of two runs' medians of 9 and 15:
#: 0.38-0.59, the two runs within 0.07), applied to the float64 row.
OA_BLOCK_NS_LEAN = (
    OA_BLOCK_NS[0],
    {"float64": [1154, 2554, 4758, 9492, 19773, 47507, 110102, 240345, 490205, 1286967,
                 3979782],
     "float32": [535, 1124, 2174, 4347, 8720, 22423, 58464, 135314, 290692, 644770,
                 1508338]},
)

#: Lean blocks in single precision on full-length transforms -- complex64, and
#: float32 where the compiled pass of :mod:`fftconv._halfblocks` is not built --
#: as a fraction of the float64 row: the float32 row measured 2026-11-25 on
#: FFTW's r2c/c2r plans, over the float64 one.
LEAN_SINGLE_FULL_RATIO = tuple(
    s / d for s, d in zip([861, 1882, 3862, 7861, 16202, 34971, 70594, 157294, 346933,
                           860173, 1881016], OA_BLOCK_NS_LEAN[1]["float64"]))

#: complex64 blocks (c2c transforms of ``L`` points, FFTW's fast single-precision
#: complex plans) as a fraction of the float64 row, lean and general engines alike:
#: measured 2026-12-05 on the AMD EPYC VM, lean engine, 2**20 samples, K = L/16 + 1,
#: interleaved medians of 9 (the full-length float32 ratio times 2.2, used until
#: then, over-priced them 1.3-2x: 1e5 x 96 complex64 took the direct loop, 2.1 ms,
#: where overlap-save takes 0.75). complex128 stays at 2.2x float64 (measured
#: 1.74-2.35x).
LEAN_COMPLEX64_RATIO = (0.834, 0.91, 0.976, 1.021, 1.163, 1.15, 1.163, 1.163, 1.126, 1.058,
                        1.321)
