"""The import layers of DESIGN.md, checked by import-linter (pyproject.toml).

Kernels import none of the model; the model none of the front ends; only the
kernels import Numba. Skipped where the source tree is not beside the installed
package (a wheel install; the README's editable install has it).
"""

import pytest


def test_imports_point_down_the_layers_only(capsys, pyproject):
    cli = pytest.importorskip("importlinter.cli")
    status = cli.lint_imports(config_filename=str(pyproject), no_cache=True)
    out = capsys.readouterr().out
    assert status == 0, out
    assert "2 kept, 0 broken" in out, out
