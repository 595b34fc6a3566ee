"""Sphinx configuration for fftconv's documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")

project = "fftconv"
author = "the fftconv developers"
copyright = "2026, the fftconv developers"
import fftconv  # noqa: E402

release = version = fftconv.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
intersphinx_mapping = {}  # no network at build time
html_theme = "pydata_sphinx_theme"
html_title = "fftconv"
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
suppress_warnings = ["config.cache"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": (r"/(dice_sum|buns_decay|image_smoothing|convolution_theorem|"
                         r"signal_filtering|audio_reverb|audio_lowpass)\.py"),
    "ignore_pattern": r"dask_large_signal|__init__",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "plot_gallery": "True",
}
