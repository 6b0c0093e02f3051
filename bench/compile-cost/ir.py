#!/usr/bin/env python3
"""How much code a user crate that declares and calls endpoints makes LLVM compile.

Writes the `called` variant of `run.py`'s user crate with N endpoints, emits its LLVM IR (dev
profile, one codegen unit) and prints the number of IR lines, then the functions with the most
lines, grouped by name with digits folded (so `Custom0`..`Custom39` count as one row). The
count is deterministic for a given toolchain: where `run.py` times a build, this shows what the
build is made of.

Run from the workspace root: `python3 bench/compile-cost/ir.py [N] [ROWS]` (defaults 40, 15).
"""
import collections, glob, importlib.util, os, re, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
N = sys.argv[1] if len(sys.argv) > 1 else "40"
ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 15

# `run.py` reads N from the command line when loaded: hand it ours.
sys.argv = [os.path.join(HERE, "run.py"), N]
spec = importlib.util.spec_from_file_location("run", sys.argv[0])
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)


def functions(path):
    """(name, lines) of every function defined in the IR file."""
    found, name, lines = [], None, 0
    with open(path, errors="replace") as ir:
        for line in ir:
            if line.startswith("define "):
                match = re.search(r'@("?)([^("]+)\1\(', line)
                name, lines = (match.group(2) if match else "?"), 0
            elif name is not None:
                lines += 1
                if line.startswith("}"):
                    found.append((name, lines))
                    name = None
    return found


def main():
    run.write_manifest()
    with open(os.path.join(run.WORK, "src", "lib.rs"), "w") as f:
        f.write(run.source("called"))
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(run.WORK, "target"))
    deps = os.path.join(run.WORK, "target", "debug", "deps")
    for old in glob.glob(os.path.join(deps, "compile_cost-*.ll")):
        os.remove(old)
    subprocess.run(["cargo", "build", "-q"], cwd=run.WORK, env=env, check=True)
    subprocess.run(["cargo", "clean", "-q", "-p", "compile-cost"], cwd=run.WORK, env=env, check=True)
    subprocess.run(["cargo", "rustc", "-q", "--", "--emit=llvm-ir", "-C", "codegen-units=1"],
                   cwd=run.WORK, env=env, check=True)
    [path] = glob.glob(os.path.join(deps, "compile_cost-*.ll"))
    found = functions(path)
    names = subprocess.run(["c++filt"], input="\n".join(name for name, _ in found),
                           capture_output=True, text=True, check=True).stdout.splitlines()
    groups, counts = collections.Counter(), collections.Counter()
    for (_, lines), name in zip(found, names):
        key = re.sub(r"\d+", "N", re.sub(r"::h[0-9a-f]{16}$", "", name))
        groups[key] += lines
        counts[key] += 1
    print(f"N = {N}: {len(found)} functions, {sum(lines for _, lines in found)} lines of LLVM IR")
    for key, lines in groups.most_common(ROWS):
        print(f"{lines:8} {counts[key]:5}  {key[:160]}")


if __name__ == "__main__":
    main()
