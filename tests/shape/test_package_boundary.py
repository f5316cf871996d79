"""The product package holds only the product: importing it never loads the emulators or test helpers."""

import subprocess
import sys

# Every module of the product except the demo, which starts the emulators on purpose.
_IMPORT_ALL = """
import importlib, pkgutil, sys
import sellerflow
for info in pkgutil.walk_packages(sellerflow.__path__, "sellerflow."):
    if info.name.startswith("sellerflow.demo"):
        continue
    importlib.import_module(info.name)
loaded = sorted(name for name in sys.modules if name.startswith("sellerflow_emulators"))
print("LOADED=" + ",".join(loaded))
"""


def test_import_sellerflow_loads_no_emulator_module():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sellerflow, sys; print('LOADED=', [m for m in sys.modules if 'emulators' in m])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "LOADED= []" in result.stdout.splitlines()


def test_no_product_module_imports_the_emulators():
    result = subprocess.run([sys.executable, "-c", _IMPORT_ALL], capture_output=True, text=True, check=True)
    loaded = [line for line in result.stdout.splitlines() if line.startswith("LOADED=")]
    assert loaded == ["LOADED="], f"product modules pulled in: {loaded}"


def test_product_package_holds_no_test_helpers():
    import pathlib

    import sellerflow

    root = pathlib.Path(sellerflow.__file__).parent
    helpers = sorted(str(p.relative_to(root)) for p in root.rglob("testing.py"))
    assert helpers == []
