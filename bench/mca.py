#!/usr/bin/env python3
"""Model the main loop of every avx2 / avx512 kernel with llvm-mca.

Prints, per kernel and per modelled CPU, the predicted cycles per 16
elements of the kernel's main loop (steady state), so a kernel change can be
judged on a machine that lacks the ISA, or on a noisy one. With
``--xnnpack DIR`` (an XNNPACK source tree you fetched yourself: nothing of
it is part of this project) the XNNPACK microkernels of the same jobs are
compiled with the same compiler and modelled beside ours, with the ratio
ours / theirs (> 1: ours is predicted slower).

    python3 bench/mca.py                                 # avx512, 3 CPUs
    python3 bench/mca.py --isa avx2 --cpu znver3,znver4
    python3 bench/mca.py --xnnpack ~/src/XNNPACK --markdown

Needs CMake, the project's C compiler and llvm-mca (Debian: ``llvm-19``;
``--mca`` names another binary). The kernels are compiled exactly as the
library compiles them: the flags come from a CMake configure of this tree
(``compile_commands.json`` in ``--build``), re-run with ``-S``.

How a main loop is found: in each kernel function's assembly, a loop is a
label with a conditional jump back to it; its body is everything from the
label to that jump (conditional code inside counts as executed). The main
loop is the one that reads the most vector elements per iteration (vector
memory reads through a register other than rsp/rbp/rip: spill reloads and
constants are not elements), the shortest on a tie. Elements per iteration
= those reads / the number of input rows the kernel reads (``INPUTS``,
``READS_PER_ELEMENT``); a span that contains a return is not a loop (code
the compiler placed after the return, jumping back). A loop with a fast
and an exact path (avx2/avx512 vscaleextexp) is modelled along the path
the compiler lays out inside it: gcc puts the exact path out of line, so
the model shows the fast one, which is the one typical rows take.
llvm-mca models the body as if it ran back to back with warm caches: a
throughput bound of the core, not a memory one.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Kernels that read two rows per element (the others read one).
INPUTS = {"rdot": 2, "vsubmul": 2, "vsubscaleexp": 2, "vaxpbyc": 2}
# Kernels that read their one input twice per element in the main loop,
# per ISA: avx2 raddextexp takes a block's maximum of x, then its exps.
READS_PER_ELEMENT = {("avx2", "raddextexp"): 2}

# Kernels without one main loop of a fixed element count: the axis
# kernels (c*, generic/axis.c) walk strips of a strided axis, and rfusemax's
# loop depends on the options (masks, causal, ALiBi) it is called with.
SKIP = {"rfusemax", "caddstoreexp", "cdot", "cmax", "cscale", "cscaleexp", "csubc",
        "csubmul", "csubscaleexp", "csum"}

# XNNPACK counterparts of our jobs: (our kernel, XNNPACK source under src/).
# The production choices of XNNPACK's configs where it has one, else the
# benchmark's best unroll.
XNNPACK = {
    "avx512": [
        ("rmax", "f32-rminmax/gen/f32-rmax-avx512f-u64-acc4.c"),
        ("raddstoreexp", "f32-raddstoreexpminusmax/gen/f32-raddstoreexpminusmax-avx512f-rr2-p5-u64-acc2.c"),
        ("raddexp", "f32-raddexpminusmax/gen/f32-raddexpminusmax-avx512f-p5-scalef-u128-acc2.c"),
        ("vscaleexp", "f32-vscaleexpminusmax/gen/f32-vscaleexpminusmax-avx512f-p5-scalef-u32.c"),
        ("vscale", "f32-vbinary/gen/f32-vmulc-avx512f-u32.c"),
        ("raddextexp", "f32-raddextexp/gen/f32-raddextexp-avx512f-p5-scalef-u128-acc2.c"),
        ("vscaleextexp", "f32-vscaleextexp/gen/f32-vscaleextexp-avx512f-p5-scalef-u32.c"),
    ],
    "avx2": [
        ("rmax", "f32-rminmax/gen/f32-rmax-avx-u32-acc4.c"),
        ("raddstoreexp", "f32-raddstoreexpminusmax/gen/f32-raddstoreexpminusmax-avx2-rr2-p5-u32-acc2.c"),
        ("raddexp", "f32-raddexpminusmax/gen/f32-raddexpminusmax-avx2-p5-u64-acc2.c"),
        ("vscaleexp", "f32-vscaleexpminusmax/gen/f32-vscaleexpminusmax-avx2-p5-u24.c"),
        ("vscale", "f32-vbinary/gen/f32-vmulc-avx-u16.c"),
        ("raddextexp", "f32-raddextexp/gen/f32-raddextexp-avx2-p5-u64-acc2.c"),
        ("vscaleextexp", "f32-vscaleextexp/gen/f32-vscaleextexp-avx2-p5-u32.c"),
    ],
}
XNNPACK_FLAGS = {
    "avx512": ["-mavx512f", "-mavx512vl", "-mavx512dq", "-mavx512bw", "-mfma", "-mf16c"],
    "avx2": ["-mavx2", "-mfma", "-mf16c"],
}

LABEL_RE = re.compile(r"^(\.?[A-Za-z_$][\w.$]*):")
JUMP_RE = re.compile(r"^\s+(j[a-z]+)\s+(\.?[A-Za-z_$][\w.$]*)\s*$")
VREG_RE = re.compile(r"%[yz]mm\d+")
MEM_RE = re.compile(r"(-?\w*)\((%\w+)?(,%\w+)?(,\d)?\)")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def functions(asm):
    """{function name: [lines]} of a gcc -S output."""
    out, cur = {}, None
    for line in asm.splitlines():
        m = LABEL_RE.match(line)
        if m and not m.group(1).startswith("."):
            cur = m.group(1)
            out[cur] = []
            continue
        if cur is not None:
            if line.strip().startswith(".size") or line.strip() == ".cfi_endproc":
                cur = None if line.strip().startswith(".size") else cur
            out[cur].append(line) if cur is not None else None
    return out


def is_insn(line):
    s = line.strip()
    return bool(s) and not s.startswith((".", "#")) and not LABEL_RE.match(s)


def vector_reads(body):
    """Vector memory operands read by the body (not the stack, not rip)."""
    reads = 0
    for line in body:
        if not is_insn(line) or not VREG_RE.search(line):
            continue
        ops = line.strip().split(None, 1)
        if len(ops) < 2:
            continue
        operands = [o.strip() for o in re.split(r",(?![^(]*\))", ops[1])]
        # AT&T: the destination is the last operand; a memory operand
        # anywhere else is a read.
        for op in operands[:-1]:
            m = MEM_RE.search(op)
            if m and m.group(2) not in ("%rsp", "%rbp", "%rip") and "(" in op:
                reads += 1
    return reads


def main_loop(lines):
    """(body, vector reads) of the loop reading the most per iteration."""
    labels = {}
    for i, line in enumerate(lines):
        m = LABEL_RE.match(line)
        if m:
            labels[m.group(1)] = i
    best = None
    for j, line in enumerate(lines):
        m = JUMP_RE.match(line)
        if not m or m.group(1) == "jmp" or m.group(2) not in labels:
            continue
        start = labels[m.group(2)]
        if start >= j:
            continue
        body = [l for l in lines[start + 1:j + 1] if is_insn(l)]
        if any(l.split()[0].startswith("ret") for l in body):
            continue  # out-of-line code jumping back into the function, not a loop
        key = (vector_reads(body), -len(body))
        if best is None or key > best[0]:
            best = (key, body)
    if best is None:
        return None, 0
    return best[1], best[0][0]


def mca_report(mca, cpu, body):
    text = "\n".join(l.strip() for l in body) + "\n"
    return run([mca, f"-mcpu={cpu}", "-iterations=200", "-bottleneck-analysis", "-"], input=text).stdout


def mca_cycles(mca, cpu, body, iterations=200):
    text = "\n".join(l.strip() for l in body) + "\n"
    res = subprocess.run([mca, f"-mcpu={cpu}", f"-iterations={iterations}", "-"], input=text,
                         text=True, capture_output=True)
    if res.returncode != 0:
        raise RuntimeError(res.stderr.strip().splitlines()[0] if res.stderr else "llvm-mca failed")
    m = re.search(r"Total Cycles:\s+(\d+)", res.stdout)
    return int(m.group(1)) / iterations


def compile_commands(build):
    cfg = ["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
           "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON", "-DFASTSOFTMAX_TESTS=OFF",
           "-DFASTSOFTMAX_PYTHON=OFF"]
    run(cfg)
    with open(os.path.join(build, "compile_commands.json")) as f:
        return json.load(f)


def asm_of(entry):
    """gcc -S output of one compile_commands entry (same flags)."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "-o":
            skip = True
            continue
        if a == "-c":
            continue
        out.append(a)
    return run(out + ["-S", "-o", "-"], cwd=entry["directory"]).stdout


def our_kernels(entries, isa, dtype):
    """{kernel name: (body, elements per iteration)} for one ISA."""
    pat = re.compile(rf"^fsm_{dtype}_(\w+?)__{isa}$")
    found = {}
    for e in entries:
        f = e["file"]
        if f"/csrc/src/{isa}/" not in f and not ("/csrc/src/generic/" in f and f"FSM_KERNEL_ISA={isa}" in e.get("command", " ".join(e.get("arguments", [])))):
            continue
        for name, lines in functions(asm_of(e)).items():
            m = pat.match(name)
            if not m or m.group(1) in SKIP:
                continue
            body, reads = main_loop(lines)
            if body:
                found[m.group(1)] = (body, reads)
    return found


def xnnpack_kernels(src, isa, compiler, tmp):
    stub = os.path.join(tmp, "stub")
    os.makedirs(stub, exist_ok=True)
    # XNNPACK's public header wants pthreadpool's; only the type is used.
    with open(os.path.join(stub, "pthreadpool.h"), "w") as f:
        f.write("typedef struct pthreadpool* pthreadpool_t;\n")
    found = {}
    for kernel, rel in XNNPACK.get(isa, []):
        path = os.path.join(src, "src", rel)
        if not os.path.exists(path):
            print(f"# xnnpack: {rel} not in {src}", file=sys.stderr)
            continue
        cmd = [compiler, "-O2", "-DNDEBUG", *XNNPACK_FLAGS[isa], "-I", src, "-I",
               os.path.join(src, "include"), "-I", os.path.join(src, "src"), "-I", stub,
               "-S", "-o", "-", path]
        try:
            asm = run(cmd).stdout
        except subprocess.CalledProcessError as exc:
            print(f"# xnnpack: {rel} did not compile: {exc.stderr.splitlines()[:1]}", file=sys.stderr)
            continue
        for name, lines in functions(asm).items():
            if name.startswith("xnn_f32_"):
                body, reads = main_loop(lines)
                if body:
                    found[kernel] = (body, reads, os.path.basename(rel)[:-2])
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--isa", default="avx512", help="avx512 or avx2 (default avx512)")
    ap.add_argument("--cpu", default="skylake-avx512,icelake-server,znver4",
                    help="llvm-mca CPUs, comma-separated")
    ap.add_argument("--dtype", default="f32", help="f32 (default) or f64 kernels")
    ap.add_argument("--build", default=os.path.join(tempfile.gettempdir(), "fsm-mca"),
                    help="CMake build folder used for the flags")
    ap.add_argument("--mca", default=shutil.which("llvm-mca-19") or shutil.which("llvm-mca") or "llvm-mca")
    ap.add_argument("--xnnpack", help="an XNNPACK source tree: model its kernels of the same jobs")
    ap.add_argument("--markdown", action="store_true", help="a Markdown table")
    ap.add_argument("--json", help="also write the numbers as JSON")
    ap.add_argument("--report", metavar="KERNEL",
                    help="print llvm-mca's full report (ports, bottlenecks) of one kernel's main loop "
                         "on the first --cpu, and its XNNPACK counterpart's with --xnnpack")
    args = ap.parse_args()

    cpus = args.cpu.split(",")
    entries = compile_commands(args.build)
    ours = our_kernels(entries, args.isa, args.dtype)
    if not ours:
        sys.exit(f"no {args.isa} kernels found (is the ISA compiled on this host?)")
    theirs = {}
    if args.xnnpack and args.dtype == "f32":
        compiler = next((shlex.split(e["command"])[0] for e in entries if "command" in e), "cc")
        with tempfile.TemporaryDirectory() as tmp:
            theirs = xnnpack_kernels(os.path.abspath(args.xnnpack), args.isa, compiler, tmp)

    if args.report:
        for label, loop in (("fastsoftmax", ours.get(args.report)), ("XNNPACK", theirs.get(args.report))):
            if loop:
                print(f"==== {label} {args.report}: main loop on {cpus[0]}")
                print(mca_report(args.mca, cpus[0], loop[0]))
        return

    rows = []
    for kernel in sorted(ours):
        body, reads = ours[kernel]
        per_element = INPUTS.get(kernel, 1) * READS_PER_ELEMENT.get((args.isa, kernel), 1)
        elems = reads // per_element * (16 if args.isa == "avx512" else 8)
        per16 = {c: mca_cycles(args.mca, c, body) / elems * 16 for c in cpus}
        row = {"kernel": kernel, "insns": len(body), "elements": elems, "fsm": per16}
        if kernel in theirs:
            tbody, treads, tname = theirs[kernel]
            telems = treads * (16 if args.isa == "avx512" else 8)
            row["xnnpack"] = {"name": tname, "insns": len(tbody), "elements": telems,
                              "cycles": {c: mca_cycles(args.mca, c, tbody) / telems * 16 for c in cpus}}
        rows.append(row)

    version = next((l.strip() for l in run([args.mca, "--version"]).stdout.splitlines() if "LLVM version" in l), "llvm-mca")
    if args.markdown:
        head = ["kernel", "elem/iter"] + [f"{c}" for c in cpus]
        if theirs:
            head += [f"xnn {c}" for c in cpus] + [f"fsm/xnn {c}" for c in cpus]
        print(f"cycles per 16 elements, main loop, {args.isa} {args.dtype}, {version}")
        print()
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
    else:
        print(f"# cycles per 16 elements of each main loop ({args.isa}, {args.dtype}; {version})")
        print(f"{'kernel':<14}{'el/it':>6}{'insns':>6}" + "".join(f"{c:>16}" for c in cpus)
              + ("   XNNPACK kernel: cycles, fsm/xnn" if theirs else ""))
    for r in rows:
        fsm = [r["fsm"][c] for c in cpus]
        if args.markdown:
            cells = [r["kernel"], str(r["elements"])] + [f"{v:.2f}" for v in fsm]
            if theirs:
                x = r.get("xnnpack")
                cells += [f"{x['cycles'][c]:.2f}" if x else "" for c in cpus]
                cells += [f"{r['fsm'][c] / x['cycles'][c]:.2f}" if x else "" for c in cpus]
            print("| " + " | ".join(cells) + " |")
        else:
            line = f"{r['kernel']:<14}{r['elements']:>6}{r['insns']:>6}" + "".join(f"{v:>16.2f}" for v in fsm)
            x = r.get("xnnpack")
            if x:
                line += "   " + x["name"] + ": " + ", ".join(
                    f"{x['cycles'][c]:.2f} ({r['fsm'][c] / x['cycles'][c]:.2f})" for c in cpus)
            print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"isa": args.isa, "dtype": args.dtype, "mca": version, "cpus": cpus, "rows": rows},
                      f, indent=1, default=lambda o: None)


if __name__ == "__main__":
    main()
