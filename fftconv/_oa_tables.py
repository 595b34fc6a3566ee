"""Measured per-block times of the overlap-save engines (data for :mod:`fftconv._costs`)."""

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
