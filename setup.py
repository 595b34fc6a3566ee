"""Build the optional compiled direct loop (fftconv/_cdirect.c).

Everything else is in pyproject.toml. The extension is optional: where no C
compiler is available the build goes on without it and fftconv falls back to
numpy.convolve for short kernels (slower, same results).
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
        )
    ]
)
