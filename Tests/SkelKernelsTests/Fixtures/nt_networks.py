"""neural-tangents 0.6.5 (float64) NNGP and NTK of small networks: the fixture of NetworkParityTests.

Not run in CI. Set-up (PyPI):

    python3 -m venv "$HOME/.cache/nt-venv"
    $HOME/.cache/nt-venv/bin/pip install "jax[cpu]==0.4.30" neural-tangents==0.6.5 numpy
    $HOME/.cache/nt-venv/bin/python nt_networks.py > nt_networks.json

Each case is a list of layers in a small JSON vocabulary that NetworkParityTests translates to a
`Network` (the same names as stax, lower case; arguments as stax's). (RectifiedMonomial is left out: NT 0.6.5 returns NaN for it.) Inputs have unequal norms:
input i is scaled by 0.6 + 0.35 i. Every case gives the Gram matrix kernel_fn(x1, None) and the
cross-Gram kernel_fn(x1, x2) of NNGP and NTK.
"""
import json
import sys

import jax

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402
from neural_tangents import stax  # noqa: E402

SHAPES = {"vec": (5,), "seq": (7, 2), "img": (6, 5, 2)}
N1, N2 = 4, 3


def inputs(shape, n, seed):
    x = np.random.default_rng(seed).standard_normal((n,) + shape)
    scale = 0.6 + 0.35 * np.arange(n)
    return x * scale.reshape((n,) + (1,) * len(shape))


def activation(name, a):
    table = {
        "relu": lambda: stax.Relu(),
        "leaky_relu": lambda: stax.LeakyRelu(a["alpha"]),
        "ab_relu": lambda: stax.ABRelu(a["a"], a["b"]),
        "abs": lambda: stax.Abs(),
        "erf": lambda: stax.Erf(a["a"], a["b"], a["c"]),
        "gelu": lambda: stax.Gelu(),
        "sign": lambda: stax.Sign(),
        "exp": lambda: stax.Exp(a["a"], a["b"]),
        "gaussian": lambda: stax.Gaussian(a["a"], a["b"]),
        "sin": lambda: stax.Sin(a["a"], a["b"], a["c"]),
        "rbf": lambda: stax.Rbf(a["gamma"]),
        "monomial": lambda: stax.Monomial(a["k"]),
        "rectified_monomial": lambda: stax.RectifiedMonomial(a["k"]),
        "polynomial": lambda: stax.Polynomial(a["coef"]),
        "gabor": lambda: stax.Gabor(),
    }
    return table[name]()


def layer(spec):
    name, a = spec[0], (spec[1] if len(spec) > 1 else {})
    if name == "dense":
        return stax.Dense(a.get("width", 1), W_std=a.get("w_std", 1.0), b_std=a.get("b_std"),
                          parameterization=a.get("parameterization", "ntk"))
    if name == "conv":
        return stax.Conv(a.get("width", 1), tuple(a["window"]), tuple(a["strides"]), a["padding"].upper(),
                         W_std=a.get("w_std", 1.0), b_std=a.get("b_std"),
                         parameterization=a.get("parameterization", "ntk"))
    if name in ("avg_pool", "sum_pool"):
        pool = stax.AvgPool if name == "avg_pool" else stax.SumPool
        return pool(tuple(a["window"]), tuple(a["strides"]), a["padding"].upper())
    if name == "global_avg_pool":
        return stax.GlobalAvgPool()
    if name == "global_sum_pool":
        return stax.GlobalSumPool()
    if name == "flatten":
        return stax.Flatten()
    if name == "layer_norm":
        return stax.LayerNorm()
    if name == "dropout":
        return stax.Dropout(a["rate"], mode="train")
    if name == "identity":
        return stax.Identity()
    if name in ("fan_in_sum", "fan_in_concat"):
        fan_in = stax.FanInSum() if name == "fan_in_sum" else stax.FanInConcat()
        branches = [stax.serial(*map(layer, b)) for b in a["branches"]]
        return stax.serial(stax.FanOut(len(branches)), stax.parallel(*branches), fan_in)
    return activation(name, a)


def dense(width=1, w=1.0, b=None, p="ntk"):
    d = {"width": width, "w_std": w, "parameterization": p}
    if b is not None:
        d["b_std"] = b
    return ["dense", d]


def conv(window, strides, padding, width=3, w=1.4, b=0.1, p="ntk"):
    d = {"width": width, "window": window, "strides": strides, "padding": padding, "w_std": w, "parameterization": p}
    if b is not None:
        d["b_std"] = b
    return ["conv", d]


ACTIVATIONS = [
    ["relu"], ["leaky_relu", {"alpha": 0.1}], ["ab_relu", {"a": -0.3, "b": 0.7}], ["abs"],
    ["erf", {"a": 1.2, "b": 0.8, "c": 0.1}], ["gelu"], ["sign"], ["exp", {"a": 0.5, "b": 0.4}],
    ["gaussian", {"a": 1.0, "b": -0.5}], ["sin", {"a": 1.1, "b": 0.9, "c": 0.3}], ["rbf", {"gamma": 0.7}],
    ["monomial", {"k": 3}], ["polynomial", {"coef": [0.1, 0.5, 0.2]}], ["gabor"],
]


def cases():
    out = []
    for act in ACTIVATIONS:
        net = [dense(3, 1.3, 0.2), act, dense(3, 1.1, 0.1), act, dense(1, 0.9, 0.05)]
        out.append(("mlp_" + act[0], "vec", net))
    out.append(("mlp_standard", "vec", [dense(7, 1.2, 0.3, "standard"), ["relu"], dense(4, 0.9, 0.2, "standard"),
                                        ["erf", {"a": 1.0, "b": 1.0, "c": 0.0}], dense(1, 1.1, None, "standard")]))
    out.append(("mlp_layer_norm", "vec", [dense(3, 1.3, 0.2), ["layer_norm"], ["relu"], dense(1, 1.0, 0.1)]))
    out.append(("mlp_dropout", "vec", [dense(3, 1.3, 0.2), ["relu"], ["dropout", {"rate": 0.7}], dense(1, 1.0, 0.1)]))
    out.append(("mlp_concat", "vec", [["fan_in_concat", {"branches": [[dense(2, 1.3, 0.2), ["relu"]],
                                                                      [dense(5, 0.8, None), ["erf", {"a": 1.0, "b": 1.0, "c": 0.0}]]]}],
                                      dense(1, 1.0, 0.1)]))
    out.append(("mlp_residual", "vec", [dense(3, 1.0, 0.1), ["fan_in_sum", {"branches": [[["relu"], dense(3, 1.2, 0.1)], [["identity"]]]}],
                                        ["relu"], dense(1, 1.0, None)]))
    for shape, window in (("seq", [3]), ("img", [3, 2])):
        for padding in ("same", "valid", "circular"):
            for stride in (1, 2):
                strides = [stride] * len(window)
                for head in ("flatten", "global_avg_pool"):
                    net = [conv(window, strides, padding), ["relu"], [head], dense(1, 1.0, 0.1)]
                    out.append((f"conv_{shape}_{padding}_s{stride}_{head}", shape, net))
    out.append(("conv_img_avg_pool", "img", [conv([3, 3], [1, 1], "same"), ["relu"],
                                             ["avg_pool", {"window": [2, 2], "strides": [2, 2], "padding": "valid"}],
                                             ["flatten"], dense(1, 1.0, 0.1)]))
    out.append(("conv_img_avg_pool_same", "img", [conv([2, 2], [1, 1], "valid"), ["relu"],
                                                  ["avg_pool", {"window": [3, 2], "strides": [1, 2], "padding": "same"}],
                                                  ["global_avg_pool"], dense(1, 1.0, 0.1)]))
    out.append(("conv_seq_sum_pool", "seq", [conv([2], [1], "circular"), ["erf", {"a": 1.0, "b": 1.0, "c": 0.0}],
                                             ["sum_pool", {"window": [2], "strides": [1], "padding": "circular"}],
                                             ["global_sum_pool"], dense(1, 1.0, None)]))
    out.append(("conv_img_residual", "img", [conv([3, 3], [1, 1], "same", b=0.2),
                                             ["fan_in_sum", {"branches": [[["relu"], conv([3, 3], [1, 1], "same")], [["identity"]]]}],
                                             ["relu"], ["global_avg_pool"], dense(1, 1.0, 0.1)]))
    out.append(("conv_img_layer_norm", "img", [conv([3, 3], [1, 1], "same"), ["layer_norm"], ["relu"], ["flatten"], dense(1)]))
    out.append(("conv_img_dropout", "img", [conv([3, 3], [1, 1], "same"), ["relu"], ["dropout", {"rate": 0.8}],
                                            conv([3, 3], [2, 2], "same"), ["relu"], ["global_avg_pool"], dense(1)]))
    out.append(("conv_img_standard", "img", [conv([3, 3], [1, 1], "same", width=4, p="standard"), ["relu"],
                                             conv([2, 2], [1, 1], "valid", width=3, p="standard"), ["relu"],
                                             ["flatten"], dense(1, 1.0, 0.1, "standard")]))
    out.append(("conv_img_deep", "img", [conv([3, 3], [1, 1], "same"), ["relu"], conv([3, 3], [1, 1], "same"), ["gelu"],
                                         conv([3, 3], [1, 1], "circular"), ["relu"], ["global_avg_pool"], dense(1)]))
    return out


def main():
    xs = {name: {"x1": inputs(shape, N1, 1 + i), "x2": inputs(shape, N2, 11 + i)}
          for i, (name, shape) in enumerate(SHAPES.items())}
    fixture = {"nt": "0.6.5", "jax": jax.__version__,
               "inputs": {k: {"shape": list(SHAPES[k]), "x1": v["x1"].ravel().tolist(), "x2": v["x2"].ravel().tolist()}
                          for k, v in xs.items()},
               "cases": []}
    for name, shape, net in cases():
        _, _, kernel_fn = stax.serial(*map(layer, net))
        x1, x2 = xs[shape]["x1"], xs[shape]["x2"]
        gram = kernel_fn(x1, None, ("nngp", "ntk"))
        cross = kernel_fn(x1, x2, ("nngp", "ntk"))
        fixture["cases"].append({
            "name": name, "inputs": shape, "network": net,
            "gram": {"nngp": np.asarray(gram.nngp).ravel().tolist(), "ntk": np.asarray(gram.ntk).ravel().tolist()},
            "cross": {"nngp": np.asarray(cross.nngp).ravel().tolist(), "ntk": np.asarray(cross.ntk).ravel().tolist()},
        })
    json.dump(fixture, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
