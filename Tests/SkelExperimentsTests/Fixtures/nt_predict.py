"""neural-tangents 0.6.5 (float64) predictions and numpy log marginal likelihoods: the fixture of
PredictFixtureTests (the kinds `predict` and `fit` against an independent reference).

Not run in CI. Set-up (PyPI), as for Tests/SkelKernelsTests/Fixtures/nt_networks.py:

    python3 -m venv "$HOME/.cache/nt-venv"
    $HOME/.cache/nt-venv/bin/pip install "jax[cpu]==0.4.30" neural-tangents==0.6.5 numpy
    $HOME/.cache/nt-venv/bin/python nt_predict.py > nt_predict.json

Each case is a training and a test file (CSV text, the bytes the test writes beside a report; the
Fashion-MNIST case holds images of Debian's dataset-fashion-mnist, 784 pixel columns in [0, 1]),
a network in the JSON vocabulary of nt_networks.py, and targets (`labels`: one-hot in sorted
label order; a numeric column; or `smooth` = sin x0 + x1·x2). The `npy-conv` case's files are
4×4×1 images as flat lists (the test writes them as .npy). For every kernel it gives
- `gp_inference(k_train_train, y, diag_reg)`: the posterior mean (m × k) and covariance (m × m);
- `gradient_descent_mse_ensemble(kernel_fn, x_train, y, learning_rate, diag_reg)` at the finite
  `times`: mean and covariance (t = ∞ is gp_inference);
- the test MSE (mean over test points and outputs) and accuracy (argmax) of those means.
Inputs of the form {"fashion": {n, classes, split, seed}} are `fashion-mnist(n, classes, split,
seed)` subsets drawn here as the build draws them (SeededGenerator and fashion_subset port
SkelMath's generator and InputsDrawing.swift's selection). `grams` gives the NNGP and NTK Gram
matrices and the eigenvalues of K/n (numpy's eigvalsh) of a network on inputs, for the kinds
`gram` and `spectrum`.
The `fit` cases give log N(y; 0, K_nngp + noise·I) summed over output columns, by numpy's slogdet
and solve (not a Cholesky factor), on a (w_std, b_std) grid that replaces every dense layer's.
"""
import gzip
import json
import sys

import jax

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402
import neural_tangents as nt  # noqa: E402
from neural_tangents import stax  # noqa: E402

FASHION = "/usr/share/datasets/fashion-mnist"


def layer(spec):
    name, a = spec[0], (spec[1] if len(spec) > 1 else {})
    if name == "dense":
        return stax.Dense(1, W_std=a.get("w_std", 1.0), b_std=a.get("b_std"))
    if name == "conv":
        return stax.Conv(1, tuple(a["window"]), (1,) * len(a["window"]), a.get("padding", "same").upper(),
                         W_std=a.get("w_std", 1.0), b_std=a.get("b_std"))
    if name == "relu":
        return stax.Relu()
    if name == "erf":
        return stax.Erf()
    if name == "flatten":
        return stax.Flatten()
    if name == "global_avg_pool":
        return stax.GlobalAvgPool()
    raise ValueError(name)


def kernel_fn(network):
    return stax.serial(*map(layer, network))[2]


def csv_text(x, labels, y=None):
    d = x.shape[1]
    head = [f"x{j}" for j in range(d)] + ["label"] + ([] if y is None else ["y"])
    rows = [",".join(head)]
    for i in range(x.shape[0]):
        cells = [repr(float(v)) for v in x[i]] + [str(int(labels[i]))]
        if y is not None:
            cells.append(repr(float(y[i])))
        rows.append(",".join(cells))
    return "\n".join(rows) + "\n"


def one_hot(labels):
    classes = sorted(set(int(v) for v in labels))
    return np.array([[1.0 if int(v) == c else 0.0 for c in classes] for v in labels])


def rows(a):
    return np.asarray(a, dtype=np.float64).reshape(-1).tolist()


def exact_relu_kernel_fn(w, b, w_out, b_out):
    """The NNGP and NTK of [dense(w, b), relu, dense(w_out, b_out)] on vectors by the arc-cosine
    formulas in 40-digit mpmath arithmetic, rounded once to float64, with stax's kernel_fn calling
    convention (a string `get`: the array; a tuple: a Kernel namedtuple)."""
    import collections

    import mpmath as mp
    mp.mp.dps = 40
    Kernel = collections.namedtuple("Kernel", "nngp ntk")

    def fn(x1, x2, get):
        same = x2 is None
        x2 = x1 if same else x2
        a = [[mp.mpf(float(v)) for v in row] for row in x1]
        c = a if same else [[mp.mpf(float(v)) for v in row] for row in x2]
        d = len(a[0])

        def k0(u, v):
            return w * w * mp.fsum(p * q for p, q in zip(u, v)) / d + b * b
        n1, n2 = [k0(u, u) for u in a], [k0(v, v) for v in c]
        nngp, ntk = np.zeros((len(a), len(c))), np.zeros((len(a), len(c)))
        for i, u in enumerate(a):
            for j, v in enumerate(c):
                s0 = k0(u, v)
                rho = min(mp.mpf(1), s0 / mp.sqrt(n1[i] * n2[j]))
                t = mp.mpf(0) if same and i == j else mp.acos(rho)
                k1 = w_out * w_out * mp.sqrt(n1[i] * n2[j]) / (2 * mp.pi) * (mp.sin(t) + (mp.pi - t) * rho) + b_out * b_out
                nngp[i, j] = float(k1)
                ntk[i, j] = float(k1 + w_out * w_out * s0 * (mp.pi - t) / (2 * mp.pi))
        both = Kernel(nngp, ntk)
        return getattr(both, get) if isinstance(get, str) else both
    return fn


def predictions(network, x_tr, x_te, y_tr, y_te, diag_reg, times, learning_rate, shape, kf=None):
    kf = kf or kernel_fn(network)
    xs_tr, xs_te = x_tr.reshape((-1,) + shape), x_te.reshape((-1,) + shape)
    k_dd = kf(xs_tr, None, ("nngp", "ntk"))
    k_td = kf(xs_te, xs_tr, ("nngp", "ntk"))
    k_tt = kf(xs_te, None, "nngp")
    gp = nt.predict.gp_inference(k_dd, y_tr, diag_reg=diag_reg)
    ens = nt.predict.gradient_descent_mse_ensemble(kf, xs_tr, y_tr, learning_rate=learning_rate, diag_reg=diag_reg)
    out = {}
    for g in ("nngp", "ntk"):
        post = gp(g, k_td, k_tt)
        mean, cov = np.asarray(post.mean), np.asarray(post.covariance)
        at = ens(np.array(times), xs_te, g, compute_cov=True)
        means_t, covs_t = np.asarray(at.mean), np.asarray(at.covariance)
        out[g] = {
            "mean": rows(mean), "covariance": rows(cov),
            "mse": float(np.mean((mean - y_te) ** 2)),
            "accuracy": float(np.mean(np.argmax(mean, 1) == np.argmax(y_te, 1))) if y_te.shape[1] > 1 else None,
            "times": {"mean": rows(means_t), "covariance": rows(covs_t),
                      "mse": [float(np.mean((means_t[k] - y_te) ** 2)) for k in range(len(times))]},
        }
    return out


def lml(network, x, y, noise, shape, w_grid, b_grid):
    out = []
    for w in w_grid:
        row = []
        for b in b_grid:
            net = [[s[0], dict(s[1], w_std=w, b_std=b)] if s[0] in ("dense", "conv") else s for s in network]
            k = np.asarray(kernel_fn(net)(x.reshape((-1,) + shape), None, "nngp"))
            kr = k + noise * np.eye(k.shape[0])
            sign, logdet = np.linalg.slogdet(kr)
            assert sign > 0
            alpha = np.linalg.solve(kr, y)
            n = k.shape[0]
            row.append(float(-0.5 * np.sum(y * alpha) - 0.5 * y.shape[1] * logdet - 0.5 * y.shape[1] * n * np.log(2 * np.pi)))
        out.append(row)
    return out


def fashion(split, classes, per_class_train, per_class_test):
    stem = "train" if split == "train" else "t10k"
    with gzip.open(f"{FASHION}/{stem}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{FASHION}/{stem}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    tr, te = [], []
    for c in classes:
        idx = np.nonzero(labels == c)[0]
        tr += list(idx[:per_class_train])
        te += list(idx[per_class_train:per_class_train + per_class_test])
    return (images[tr] / 255.0, labels[tr]), (images[te] / 255.0, labels[te])


MASK = (1 << 64) - 1


class SeededGenerator:
    """SkelMath's SeededGenerator (xoshiro256** seeded through SplitMix64; a label's stream is
    seed XOR FNV-1a(label)), so that a fashion-mnist(n, classes, split, seed) subset is the one the
    build draws."""

    def __init__(self, seed, label=None):
        sm = seed if label is None else seed ^ self.fnv1a(label)
        s = []
        for _ in range(4):
            sm = (sm + 0x9E3779B97F4A7C15) & MASK
            z = sm
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            s.append(z ^ (z >> 31))
        self.s = s

    @staticmethod
    def fnv1a(text):
        h = 0xCBF29CE484222325
        for b in text.encode():
            h = ((h ^ b) * 0x100000001B3) & MASK
        return h

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result


def fashion_subset(n, classes, split, seed):
    """The images of `fashion-mnist(n, classes, split, seed)` as the build draws them
    (InputsDrawing.swift): ⌊n/k⌋ of each class (the first n mod k one more), a partial
    Fisher–Yates over the class's indices in file order, each class's images in file order, in
    the order of `classes`; pixels / 255. Returns (images n × 784, labels)."""
    stem = "train" if split == "train" else "t10k"
    with gzip.open(f"{FASHION}/{stem}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{FASHION}/{stem}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    g = SeededGenerator(seed, "fashion-mnist")
    picked = []
    for k, c in enumerate(classes):
        want = n // len(classes) + (1 if k < n % len(classes) else 0)
        pool = [int(i) for i in np.nonzero(labels == c)[0]]
        for j in range(want):
            r = j + g.next() % (len(pool) - j)
            pool[j], pool[r] = pool[r], pool[j]
        picked += sorted(pool[:want])
    return images[picked] / 255.0, labels[picked]


def grams(name, x, shape, network, kf, inputs):
    """The NNGP and NTK Gram matrices of `network` on x (row-major n × n) and the eigenvalues of
    K/n in descending order (numpy's eigvalsh), as the kinds `gram` and `spectrum` publish them."""
    xs = x.reshape((-1,) + shape)
    out = {"name": name, "inputs": inputs, "network": network, "shape": list(shape)}
    for g in ("nngp", "ntk"):
        k = np.asarray(kf(xs, None, g))
        out[g] = rows(k)
        out[g + "_eigenvalues"] = sorted(np.linalg.eigvalsh(k / k.shape[0]).tolist(), reverse=True)
    return out


def main():
    rng = np.random.default_rng(19)
    times = [0.0, 0.5, 5.0, 50.0, 5000.0]
    mlp = [["dense", {"w_std": 1.5, "b_std": 0.2}], ["erf"], ["dense", {"w_std": 1.4, "b_std": 0.1}], ["relu"],
           ["dense", {"w_std": 1.0, "b_std": 0.1}]]
    cases = []

    # CSV: 14 training and 6 test points in 3 dimensions, 3 classes and a numeric column
    x = rng.standard_normal((20, 3)) * np.linspace(0.6, 1.4, 20)[:, None]
    labels = rng.integers(0, 3, 20)
    labels[:3] = [0, 1, 2]
    yc = np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2]
    tr, te = slice(0, 14), slice(14, 20)
    for targets, diag_reg in (("labels", 1e-3), ("y", 0.0)):
        y = one_hot(labels) if targets == "labels" else yc[:, None]
        cases.append({
            "name": f"csv-{targets}", "train": csv_text(x[tr], labels[tr], yc[tr]), "test": csv_text(x[te], labels[te], yc[te]),
            "columns": ["x0", "x1", "x2"], "network": mlp, "targets": targets, "diag_reg": diag_reg, "learning_rate": 2.0,
            "times": times, "shape": [3], "outputs": y.shape[1],
            "kernels": predictions(mlp, x[tr], x[te], y[tr], y[te], diag_reg, times, 2.0, (3,)),
        })

    # Fashion-MNIST: 6 training and 3 test images of classes 0 and 7 (first in file order), 784
    # pixels. On these images NT 0.6.5's kernel_fn has the ReLU NTK's diagonal 1.7e-8 (relative)
    # off the arc-cosine value (its arccos of a correlation clipped below 1), and predictions move
    # by up to ~1e-8; so NT's predict functions run here on the kernels by the arc-cosine formulas
    # in mpmath (exact_relu_kernel_fn), and NT's own kernel_fn's predictions are kept as
    # "kernels_nt_kernel_fn" with the size of that diagonal error.
    (xf, lf), (xt, lt) = fashion("test", [0, 7], 6, 3)
    net = [["dense", {"w_std": 1.3, "b_std": 0.05}], ["relu"], ["dense", {"w_std": 1.0, "b_std": 0.05}]]
    yf, ytf = one_hot(np.concatenate([lf, lt]))[:12], one_hot(np.concatenate([lf, lt]))[12:]
    exact = exact_relu_kernel_fn(1.3, 0.05, 1.0, 0.05)
    nt_diag = np.diag(np.asarray(kernel_fn(net)(xf, None, "ntk"))) / np.diag(exact(xf, None, "ntk")) - 1
    cases.append({
        "name": "fashion-labels", "train": csv_text(xf, lf), "test": csv_text(xt, lt), "columns": None, "network": net,
        "targets": "labels", "diag_reg": 1e-4, "learning_rate": 1.0, "times": times, "shape": [784], "outputs": 2,
        "kernels": predictions(net, xf, xt, yf, ytf, 1e-4, times, 1.0, (784,), kf=exact),
        "kernels_nt_kernel_fn": predictions(net, xf, xt, yf, ytf, 1e-4, times, 1.0, (784,)),
        "nt_ntk_diagonal_relative_error": float(np.max(np.abs(nt_diag))),
    })

    # 4×4×1 images (the test writes them as float64 .npy files, which carry no labels) read by a
    # conv network; the target 'smooth' = sin x0 + x1·x2 of each image flattened in C order
    xi = rng.standard_normal((10, 16))
    yi = (np.sin(xi[:, 0]) + xi[:, 1] * xi[:, 2])[:, None]
    conv = [["conv", {"window": [3, 3], "w_std": 1.3, "b_std": 0.1}], ["relu"], ["flatten"], ["dense", {"w_std": 1.0, "b_std": 0.0}]]
    cases.append({
        "name": "npy-conv", "train": rows(xi[:7]), "test": rows(xi[7:]), "columns": None, "network": conv, "targets": "smooth",
        "diag_reg": 1e-3, "learning_rate": 1.0, "times": times, "shape": [4, 4, 1], "outputs": 1,
        "kernels": predictions(conv, xi[:7], xi[7:], yi[:7], yi[7:], 1e-3, times, 1.0, (4, 4, 1)),
    })

    # Fashion-MNIST through the input form itself: fashion-mnist(n, classes, split, seed) subsets
    # drawn as the build draws them (fashion_subset); training images from the train split, test
    # images from the test split. Kernels by the arc-cosine formulas in mpmath (as above).
    fs_train = {"n": 12, "classes": [0, 7], "split": "train", "seed": 5}
    fs_test = {"n": 6, "classes": [0, 7], "split": "test", "seed": 6}
    (xs_tr, ls_tr), (xs_te, ls_te) = fashion_subset(**fs_train), fashion_subset(**fs_test)
    ys = one_hot(np.concatenate([ls_tr, ls_te]))
    cases.append({
        "name": "fashion-subset", "train": {"fashion": fs_train}, "test": {"fashion": fs_test}, "columns": None, "network": net,
        "targets": "labels", "diag_reg": 1e-4, "learning_rate": 1.0, "times": times, "shape": [784], "outputs": 2,
        "kernels": predictions(net, xs_tr, xs_te, ys[:12], ys[12:], 1e-4, times, 1.0, (784,), kf=exact),
    })

    # Gram matrices and eigenvalues (the kinds gram and spectrum): the Fashion-MNIST subset by
    # mpmath's arc-cosine kernels; 6×6×2 images (.npy) through a conv network with a global pool
    # by NT's kernel_fn
    gram_cases = [grams("fashion-subset", xs_tr, (784,), net, exact, {"fashion": fs_train})]
    rng_g = np.random.default_rng(29)
    xc = rng_g.standard_normal((9, 72))
    conv2 = [["conv", {"window": [3, 3], "w_std": 1.3, "b_std": 0.1}], ["relu"],
             ["conv", {"window": [3, 3], "w_std": 1.2, "b_std": 0.05}], ["erf"], ["global_avg_pool"],
             ["dense", {"w_std": 1.0, "b_std": 0.1}]]
    gram_cases.append(grams("npy-conv-pool", xc, (6, 6, 2), conv2, kernel_fn(conv2), rows(xc)))

    w_grid, b_grid = [0.8, 1.2, 1.6, 2.0], [0.0, 0.25, 0.5]
    fits = [
        {"name": "csv-labels", "data": csv_text(x, labels, yc), "columns": ["x0", "x1", "x2"], "targets": "labels",
         "network": mlp, "noise": 1e-2, "w_std": w_grid, "b_std": b_grid,
         "lml": lml(mlp, x, one_hot(labels), 1e-2, (3,), w_grid, b_grid)},
        {"name": "csv-y", "data": csv_text(x, labels, yc), "columns": ["x0", "x1", "x2"], "targets": "y",
         "network": mlp, "noise": 1e-3, "w_std": w_grid, "b_std": b_grid,
         "lml": lml(mlp, x, yc[:, None], 1e-3, (3,), w_grid, b_grid)},
        {"name": "fashion-labels", "data": csv_text(np.concatenate([xf, xt]), np.concatenate([lf, lt])), "columns": None,
         "targets": "labels", "network": net, "noise": 1e-2, "w_std": [1.0, 1.5], "b_std": [0.0, 0.1],
         "lml": lml(net, np.concatenate([xf, xt]), one_hot(np.concatenate([lf, lt])), 1e-2, (784,), [1.0, 1.5], [0.0, 0.1])},
        # the fashion-mnist(…) subset itself (NT's kernel_fn NNGP: exact to rounding, as above)
        {"name": "fashion-subset", "data": None, "inputs": {"fashion": fs_train}, "columns": None, "targets": "labels",
         "network": net, "noise": 1e-2, "w_std": [1.0, 1.5], "b_std": [0.0, 0.1],
         "lml": lml(net, xs_tr, one_hot(ls_tr), 1e-2, (784,), [1.0, 1.5], [0.0, 0.1])},
    ]
    json.dump({"nt": nt.__version__ if hasattr(nt, "__version__") else "0.6.5", "jax": jax.__version__,
               "numpy": np.__version__, "cases": cases, "fits": fits,
               "grams": gram_cases}, sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main()
