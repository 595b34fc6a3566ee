"""Build the optional compiled loops (fftconv/_cdirect.c and fftconv/_chalf.c).

Everything else is in pyproject.toml. The extensions are optional: where no C
compiler is available the build goes on without them and fftconv falls back to
numpy.convolve for short kernels and to real-to-complex FFTW transforms for
float32 overlap-save (slower, same accuracy).
"""

import sys

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "fftconv._cdirect",
            ["fftconv/_cdirect.c"],
            optional=True,
            extra_compile_args=[] if sys.platform == "win32" else ["-O3"],
        ),
        Extension(
            "fftconv._chalf",
            ["fftconv/_chalf.c"],
            optional=True,
            extra_compile_args=[] if sys.platform == "win32" else ["-O3"],
        ),
    ]
)
