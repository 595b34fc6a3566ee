"""Sphinx configuration for fftconv's documentation.

Build (as CI does): ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

import atexit
import importlib
import inspect
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")
# The gallery runs the examples in this process; they write their outputs
# (sounds, images) to FFTCONV_EXAMPLES_OUT: a temporary folder, removed at exit.
if not os.environ.get("FFTCONV_EXAMPLES_OUT"):
    _examples_out = tempfile.mkdtemp(prefix="fftconv-docs-")
    atexit.register(shutil.rmtree, _examples_out, ignore_errors=True)
    os.environ["FFTCONV_EXAMPLES_OUT"] = _examples_out

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
autosummary_generate = False  # api.rst's tables link to objects documented in place
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
intersphinx_mapping = {}  # no network at build time
html_theme = "pydata_sphinx_theme"
html_title = "fftconv"
# _*.rst are fragments pulled in with ``.. include::`` (e.g. _convolver_perf.rst).
exclude_patterns = ["_build", "_*.rst", "auto_examples/*.ipynb", "auto_examples/*.py"]
suppress_warnings = ["config.cache"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": (
        r"/(dice_sum|buns_decay|image_smoothing|convolution_theorem|"
        r"signal_filtering|audio_reverb|audio_lowpass)\.py"
    ),
    # Examples not matched above (dask_large_signal.py: a 1.6 GB run on a local
    # cluster) are shown with their code but not executed.
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "plot_gallery": "True",
}


# --- API reference: ``.. api-module:: fftconv.theorem`` (used by api.rst) -----------------
# Topic pages (theorem.rst, images.rst, ...) document objects next to the prose with
# ``.. autofunction::`` and friends. So that every public object is described (and
# indexed) exactly once, api-module writes, for one module: its docstring, a summary
# table of every name in its ``__all__`` (linking to wherever it is documented), and
# full entries for the names that no other page documents.

logger = logging.getLogger(__name__)
_AUTO = re.compile(r"^\.\. auto(\w+):: *(\S+)[ \t]*\n((?:[ \t]+:.*\n)*)", re.M)


def _resolve(name):
    """The object a dotted name refers to, or None."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except (AttributeError, ImportError):  # fftconv's lazy submodules import on getattr
            return None
        return obj
    return None


def _key(obj, name):
    """Functions, classes and modules match by identity (re-exports), constants by name."""
    return id(obj) if callable(obj) or inspect.ismodule(obj) else name


def _documented_elsewhere(srcdir, docname):
    """Map key -> documented name (see _key), and the module names, for the other pages."""
    objects, modules = {}, set()
    for page in sorted(Path(srcdir).glob("*.rst")):
        if page.stem == docname:
            continue
        for kind, name, opts in _AUTO.findall(page.read_text(encoding="utf-8")):
            if ":no-index:" in opts or ":noindex:" in opts:
                continue
            obj = _resolve(name)
            if obj is None:
                continue
            objects.setdefault(_key(obj, name), name)
            if kind == "module":
                modules.add(name)
                listed = re.search(r":members:(.*)", opts)
                members = listed.group(1).split(",") if listed else []
                members = [m.strip() for m in members if m.strip()] or getattr(obj, "__all__", [])
                for m in members:
                    member = getattr(obj, m, None)
                    if member is not None:
                        objects.setdefault(_key(member, f"{name}.{m}"), f"{name}.{m}")
    return objects, modules


def _attr_doc(modname, name):
    """The ``#:`` comment documenting ``modname.name``, as a list of lines."""
    try:
        return ModuleAnalyzer.for_module(modname).find_attr_docs().get(("", name), [])
    except PycodeError:
        return []


def _borrowed_doc(modname, name, obj):
    """The ``#:`` comment of the private module that defines a re-exported constant."""
    for other in sorted(sys.modules):
        if other.startswith(modname + "._") and getattr(sys.modules[other], name, None) is obj:
            doc = _attr_doc(other, name)
            if doc:
                return doc
    return []


class ApiModule(SphinxDirective):
    """``.. api-module:: dotted.name`` -- see the comment above."""

    required_arguments = 1

    def run(self):
        modname = self.arguments[0]
        try:
            module = importlib.import_module(modname)
        except ImportError as exc:  # e.g. fftconv.dask without the docs extra's dask
            logger.warning(
                "api-module: cannot import %s: %s", modname, exc, location=self.get_location()
            )
            return []
        srcdir = Path(self.env.srcdir)
        for page in srcdir.glob("*.rst"):
            self.env.note_dependency(str(page))
        elsewhere, modules = _documented_elsewhere(srcdir, self.env.docname)
        names = list(module.__all__)
        lines = [f".. automodule:: {modname}"]
        if modname in modules:
            lines.append("   :no-index:")
        lines += ["", ".. autosummary::", ""]
        for n in names:  # relative to the module automodule just set, as autosummary wants
            label = elsewhere.get(_key(getattr(module, n), f"{modname}.{n}"), n)
            lines.append(f"   {label.removeprefix(modname + '.')}")
        lines.append("")
        for n in names:
            obj = getattr(module, n)
            if _key(obj, f"{modname}.{n}") in elsewhere:
                continue
            if inspect.isclass(obj):
                lines += [f".. autoclass:: {modname}.{n}", "   :members:", ""]
            elif callable(obj):
                lines += [f".. autofunction:: {modname}.{n}", ""]
            else:
                lines += [f".. autodata:: {modname}.{n}", ""]
                if not _attr_doc(modname, n):  # e.g. fftconv.METHODS, imported from _strategy
                    lines += [f"   {line}" for line in _borrowed_doc(modname, n, obj)] + [""]
        return self.parse_text_to_nodes("\n".join(lines), allow_section_headings=False)


def setup(app):
    app.add_directive("api-module", ApiModule)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
