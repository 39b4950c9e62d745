"""Run every benchmark in bench/ (``python -m bench``), or those named: ``python -m bench events``.

A benchmark is a module of this folder with a ``main()`` function; it prints its own figures
beside their floors. Modules without ``main()`` are helpers.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    folder = Path(__file__).resolve().parent
    names = sorted(info.name for info in pkgutil.iter_modules([str(folder)]))
    ran = 0
    for name in names:
        if name.startswith("_") or (wanted and not any(name.startswith(w) for w in wanted)):
            continue
        module = importlib.import_module(f"bench.{name}")
        run = getattr(module, "main", None)
        if run is None:
            continue
        print(f"== bench/{name}.py", flush=True)
        run()
        ran += 1
    if not ran:
        print("no benchmark matched", wanted)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
