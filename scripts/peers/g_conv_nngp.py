"""Workload g: NNGP Gram matrix of a small CNN (issue 18), neural-tangents 0.6.5.

  [conv(window=3, padding=same), relu, conv(window=3, padding=same), relu, READOUT, dense]
  READOUT = flatten | global_avg_pool; W_std = 1, no bias ('ntk' parameterization, NT's defaults);
  N inputs of 16x16x1 (NHWC), standard normal, numpy default_rng(seed 0); float64.

python g_conv_nngp.py --readout flatten|gap --N 256 [--repeats 3] [--batch 0]
Prints one JSON line in the style of ../shared/bench (imports its _bench.py from --bench-dir).
kernel_fn runs under jax.jit; trace/lower and XLA compile are timed apart from the runs.
--batch B > 0 wraps kernel_fn in nt.batch (B x B blocks): the global_avg_pool network's full
spatial covariance is N^2 (HW)^2 doubles (34 GB at N = 256), so it needs blocks.
"""
import argparse
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--readout", choices=["flatten", "gap"], default="flatten")
    ap.add_argument("--N", type=int, default=256)
    ap.add_argument("--side", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--bench-dir", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "bench"))
    ap.add_argument("--out", default="", help="write the NNGP matrix here (float64, row-major) for checking")
    a = ap.parse_args()
    sys.path.insert(0, a.bench_dir)
    from _bench import T_PROCESS_START, emit, time_it

    import numpy as np

    t0 = time.perf_counter()
    import jax
    jax.config.update("jax_enable_x64", True)
    import neural_tangents as nt
    from neural_tangents import stax
    import_s = time.perf_counter() - t0

    X = np.random.default_rng(0).standard_normal((a.N, a.side, a.side, 1))
    readout = stax.Flatten() if a.readout == "flatten" else stax.GlobalAvgPool()
    _, _, kernel_fn = stax.serial(
        stax.Conv(1, (3, 3), padding="SAME"), stax.Relu(),
        stax.Conv(1, (3, 3), padding="SAME"), stax.Relu(),
        readout, stax.Dense(1))
    Xj = jax.device_put(X)
    extra = {"import_s": import_s, "versions": {"jax": jax.__version__, "neural_tangents": nt.__version__}}
    if a.batch > 0:
        # nt.batch jit-compiles the per-block kernel itself on the first call: the first (untimed) call
        # is the compile
        f = nt.batch(kernel_fn, batch_size=a.batch, store_on_device=False)
        t1 = time.perf_counter()
        np.asarray(f(Xj, None, "nngp"))
        extra["compile_s"] = time.perf_counter() - t1
        extra["compile_note"] = "first nt.batch call (compile + one full run)"
        run = lambda: f(Xj, None, "nngp")
        res = time_it(run, a.repeats, 0, sync=lambda r: np.asarray(r))
    else:
        f = jax.jit(lambda x: kernel_fn(x, None, "nngp"))
        t1 = time.perf_counter()
        lowered = f.lower(Xj)
        t2 = time.perf_counter()
        compiled = lowered.compile()
        t3 = time.perf_counter()
        extra["trace_lower_s"] = t2 - t1
        extra["compile_s"] = t3 - t2
        run = lambda: compiled(Xj)
        res = time_it(run, a.repeats, a.warmup, sync=lambda r: r.block_until_ready())
    if a.out:
        np.asarray(run(), dtype=np.float64).tofile(a.out)
    params = {"N": a.N, "side": a.side, "readout": a.readout, "batch": a.batch, "get": "nngp", "dtype": "float64"}
    extra["process_s"] = time.perf_counter() - T_PROCESS_START
    emit("g_conv_nngp", "nt", params, res, **extra)


if __name__ == "__main__":
    main()
