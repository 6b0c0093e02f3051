#!/usr/bin/env python3
"""The compile cost of declaring and calling endpoints, measured in a small user crate.

Generates a crate that depends on midas-api (path dependency) in three variants — no endpoint,
N endpoints declared, N endpoints declared and called — builds its dependencies once, then
rebuilds the crate itself from scratch (its own artifacts and incremental cache removed; the
dependencies kept) several times per variant and prints the median
time of each (wall clock, and the CPU time of cargo and rustc, which a busy neighbour
disturbs less) and the cost per endpoint:

    declared = (median(declared) - median(empty)) / N
    called   = (median(called) - median(empty)) / N

Run from the workspace root: `python3 bench/compile-cost/run.py [N] [ROUNDS] [PROFILE]`
(defaults 40, 5, dev; PROFILE `release` measures an optimized build). Note the machine's load
beside the numbers.
"""
import os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 40
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
PROFILE = sys.argv[3] if len(sys.argv) > 3 else "dev"
WORK = os.path.join(ROOT, "target", "compile-cost")

def endpoint(i):
    return f'''
#[midas_api(scheme = "xpay", path = "/xpay/custom_{i}", response = Answer{i}, openid = false)]
#[derive(Clone, Debug)]
pub struct Custom{i} {{
    #[midas(bill_no)]
    pub order_id: String,
    #[midas(positive)]
    pub amount: i64,
    pub remark: Option<String>,
}}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Answer{i} {{
    pub order_id: String,
    pub balance: i64,
}}
'''

def call(i):
    return f'''    let _ = client.call(player, &Custom{i} {{ order_id: "o{i}".into(), amount: 1, remark: None }}).await;\n'''

def plain(i):
    """The same structs without the attribute: what the user's own derives cost."""
    return "\n".join(line for line in endpoint(i).splitlines() if not line.strip().startswith(("#[midas_api", "#[midas(")))

def source(variant):
    text = "#![allow(dead_code)]\nuse midas_api::midas_api;\n"
    if variant == "empty":
        return text
    if variant == "plain":
        return text + "".join(plain(i) for i in range(N))
    text += "".join(endpoint(i) for i in range(N))
    if variant == "called":
        text += ("pub async fn call_all(client: &midas_api::Client<midas_api::ReqwestTransport, midas_api::StaticToken>, player: &midas_api::Player) {\n"
                 + "".join(call(i) for i in range(N)) + "}\n")
    return text

def write_manifest():
    """The user crate's directory and manifest (its sources are written per variant)."""
    os.makedirs(os.path.join(WORK, "src"), exist_ok=True)
    with open(os.path.join(WORK, "Cargo.toml"), "w") as f:
        f.write(f'''[package]
name = "compile-cost"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
midas-api = {{ path = "{ROOT}/midas-api" }}
serde = {{ version = "1", features = ["derive"] }}
''')

def main():
    write_manifest()
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(WORK, "target"))
    lib = os.path.join(WORK, "src", "lib.rs")
    results = {}
    cpu = {}
    for variant in ("empty", "plain", "declared", "called"):
        with open(lib, "w") as f:
            f.write(source(variant))
        subprocess.run(["cargo", "build", "-q", "--profile", PROFILE], cwd=WORK, env=env, check=True)
        times = []
        cpus = []
        for _ in range(ROUNDS):
            # A full rebuild of the crate: its artifacts and incremental cache removed first.
            subprocess.run(["cargo", "clean", "-q", "-p", "compile-cost", "--profile", PROFILE], cwd=WORK, env=env, check=True)
            start, before = time.monotonic(), os.times()
            subprocess.run(["cargo", "build", "-q", "--profile", PROFILE], cwd=WORK, env=env, check=True)
            after = os.times()
            times.append(time.monotonic() - start)
            cpus.append(after.children_user + after.children_system - before.children_user - before.children_system)
        results[variant] = statistics.median(times)
        cpu[variant] = statistics.median(cpus)
        print(f"{variant:9} median {results[variant]*1000:8.0f} ms wall (runs: {', '.join(f'{t*1000:.0f}' for t in times)}), "
              f"{cpu[variant]*1000:8.0f} ms CPU (runs: {', '.join(f'{t*1000:.0f}' for t in cpus)})")
    for label, table in (("wall", results), ("CPU", cpu)):
        per = lambda v: (table[v] - table["empty"]) * 1000 / N
        print(f"profile {PROFILE}, {label}: per declared endpoint: {per('declared'):.1f} ms; per declared and called endpoint: {per('called'):.1f} ms (N = {N}); "
              f"the structs and derives without the attribute: {per('plain'):.1f} ms")
    print(f"load average: {os.getloadavg()}")

if __name__ == "__main__":
    main()
