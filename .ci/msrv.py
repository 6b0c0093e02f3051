#!/usr/bin/env python3
"""The declared rust-version holds: no normal or build dependency of a published crate needs a
newer Rust (clippy's incompatible_msrv lint checks our own code). No older toolchain can be
installed here, so this reads what each dependency declares."""
import json, subprocess, sys

def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout

meta = json.loads(run("cargo", "metadata", "--format-version", "1"))
published = [p for p in meta["packages"] if p["source"] is None and p.get("publish") != []]
declared = max((p["rust_version"] for p in published), key=lambda v: tuple(map(int, v.split("."))))
wanted = tuple(map(int, declared.split(".")))
args = ["cargo", "tree", "-e", "normal,build", "--prefix", "none", "--no-dedupe"]
for p in published:
    args += ["-p", p["name"]]
used = {tuple(line.split()[:2]) for line in run(*args).splitlines() if line.strip()}
too_new = []
for p in meta["packages"]:
    version = p.get("rust_version")
    if (p["name"], "v" + p["version"]) in used and version:
        if tuple(map(int, version.split(".")[:2])) > wanted[:2]:
            too_new.append(f"{p['name']} {p['version']} needs Rust {version}")
print(f"rust-version {declared}: {len(used)} dependencies checked")
if too_new:
    print("newer than the declared rust-version:\n  " + "\n  ".join(too_new), file=sys.stderr)
    sys.exit(1)
