"""Executes a notebook with nbclient, stopping at the first failing cell; writes the executed copy
either way and prints the failing cell's error output (tslab reports type errors on stderr, with an
empty error message), then exits 1. Used by `npm run notebook:check` (notebooks/jupyter.mjs).

    python3 notebooks/execute-notebook.py IN.ipynb OUT.ipynb KERNEL_LOG KERNEL TIMEOUT_SEC

The kernel's own stderr goes to KERNEL_LOG, outside the notebook's folder (tslab's compiler watches
that folder, and its kernel dies when a file there changes mid-cell): the wasm backend's exception handler
prints its whole minified source when tslab closes its sockets at shutdown.
"""
import sys
import time
from datetime import datetime
from os.path import abspath, dirname

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def main() -> int:
    source, target, kernel_log, kernel, timeout = sys.argv[1:6]
    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=kernel,
        timeout=int(timeout),
        resources={"metadata": {"path": dirname(abspath(source))}},
    )
    started = time.monotonic()
    status = 0
    try:
        with open(kernel_log, "w") as log:
            client.execute(stderr=log)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        status = 1
        # The failing cell is the last one that ran; tslab reports its error on stderr.
        ran = [i for i, cell in enumerate(notebook.cells) if cell.get("execution_count")]
        index = ran[-1] if ran else 0
        cell = notebook.cells[index]
        print(f"cell {index} failed:\n{cell.source}\n--- its output ---", file=sys.stderr)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                print(output.get("text", ""), end="", file=sys.stderr)
            elif output.get("output_type") == "error":
                print(f"{output.get('ename')}: {output.get('evalue')}", file=sys.stderr)
                print("\n".join(output.get("traceback", [])), file=sys.stderr)
        print(f"{type(error).__name__}; the kernel's stderr is in {kernel_log}", file=sys.stderr)
    for index, cell in enumerate(notebook.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.status.busy" in timing and "iopub.status.idle" in timing:
            seconds = (parse_time(timing["iopub.status.idle"]) - parse_time(timing["iopub.status.busy"])).total_seconds()
            print(f"cell {index:2d}: {seconds:6.1f} s  {cell.source.splitlines()[0][:70]}", file=sys.stderr)
    nbformat.write(notebook, target)
    print(f"executed {source} -> {target} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
