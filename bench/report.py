#!/usr/bin/python3
"""Print bench/run.sh's table from its JSON lines (bench/last.jsonl).

For each model and implementation the best round is kept (highest
images/s; peak RSS is the largest seen). Ratios are autoenc / PyTorch for
throughput and PyTorch / autoenc for memory, so > 1 favours autoenc in both.

FLOPs are counted analytically, 2 per multiply-add of the matrix products
(convolutions, dense layers, LSTM input and recurrent projections);
elementwise work is not counted. A training step is 3x the forward
FLOPs (forward, input gradient, weight gradient).

Peak: the fp32 FMA throughput bench/cmd/fmapeak measured on THREADS
threads at the start of the run (its JSON line in the input). Without it,
2 cores x 2.6 GHz (the clock the VM reports) x 64 FLOP/cycle (two 512-bit
FMA ports), which understates this machine: its cores run AVX-512 at
3.3-3.6 GHz.
"""

import json
import sys
from collections import defaultdict

NOMINAL_PEAK = 2 * 2.6e9 * 64


def dense_macs():
    return 784 * 100 + 100 * 30 + 30 * 100 + 100 * 784


def conv_macs():
    k = 9
    return (28 * 28 * 16 * k * 1      # conv 1->16, 28x28
            + 14 * 14 * 32 * k * 16   # conv 16->32, 14x14
            + 7 * 7 * 64 * k * 32     # conv 32->64, 7x7
            + 3 * 3 * k * 64 * 32     # deconv 64->32 from 3x3 (per input pixel)
            + 7 * 7 * k * 32 * 16     # deconv 32->16 from 7x7
            + 14 * 14 * k * 16 * 1)   # deconv 16->1 from 14x14


def recurrent_macs():
    t = 28
    lstm = lambda n_in, u: t * (n_in + u) * 4 * u
    return lstm(28, 100) + lstm(100, 30) + lstm(30, 100) + t * 100 * 28


FWD_FLOP = {  # per image
    "stacked": 2 * dense_macs(),
    "denoising-gaussian": 2 * dense_macs(),
    "denoising-dropout": 2 * dense_macs(),
    "conv": 2 * conv_macs(),
    "recurrent": 2 * recurrent_macs(),
}


def main(path):
    peak = None
    best = defaultdict(dict)
    impls, models = [], []
    for line in open(path):
        if line.startswith("#"):
            print(line.rstrip())
            continue
        r = json.loads(line)
        if r["impl"] == "fmapeak":
            peak = r
            continue
        key = (r["model"], r["impl"])
        if r["impl"] not in impls:
            impls.append(r["impl"])
        if r["model"] not in models:
            models.append(r["model"])
        b = best[key]
        for f in ("train_images_per_s", "infer_images_per_s", "peak_rss_kb"):
            b[f] = max(b.get(f, 0), r[f])
    others = [i for i in impls if i != "autoenc"]
    print()
    if peak:
        peak_flops = peak["gflops"] * 1e9
        print(f"peak: {peak['gflops']:.1f} GFLOP/s measured by bench/cmd/fmapeak ({peak['isa']} FMAs on "
              f"{peak['threads']} threads; {peak['one_thread_gflops']:.1f} on one)")
    else:
        peak_flops = NOMINAL_PEAK
        print(f"peak: {peak_flops / 1e9:.1f} GFLOP/s (nominal: 2 cores x 2.6 GHz x 64 FLOP/cycle; no fmapeak line)")
    hdr = "| model | phase | autoenc img/s | " + " | ".join(f"{o} img/s | ratio" for o in others) + " | autoenc GFLOP/s | % of peak |"
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    for m in models:
        a = best[(m, "autoenc")]
        for phase, field, mult in (("train", "train_images_per_s", 3), ("infer", "infer_images_per_s", 1)):
            cells = [m, phase, f"{a[field]:,.0f}"]
            for o in others:
                p = best[(m, o)][field]
                cells += [f"{p:,.0f}", f"{a[field] / p:.2f}x"]
            gf = a[field] * FWD_FLOP[m] * mult / 1e9
            cells += [f"{gf:.1f}", f"{100 * gf * 1e9 / peak_flops:.1f}%"]
            print("| " + " | ".join(cells) + " |")
    print()
    hdr = "| model | autoenc peak RSS MiB | " + " | ".join(f"{o} MiB | ratio" for o in others) + " |"
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    for m in models:
        a = best[(m, "autoenc")]["peak_rss_kb"]
        cells = [m, f"{a / 1024:.0f}"]
        for o in others:
            p = best[(m, o)]["peak_rss_kb"]
            cells += [f"{p / 1024:.0f}", f"{p / a:.1f}x smaller"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/last.jsonl")
