"""Neural networks end to end: `chain`, `grad`, the generated code, finite differences, PyTorch.

Every expected value here comes from a NumPy forward pass written by hand in this file (not
from matcalc, not from tests/conftest.py's reference): gradients by 4th-order central finite
differences of that forward pass, and — when torch is importable — PyTorch's `.grad` after
`L.backward()` on the same numbers. SPEC §1 (several --wrt names, `chain`), §3 (layouts),
§4 (`numpy` one line, `python` module, `json` `results`).
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

import matcalc
from matcalc.render import render
from matcalc.render.printer import to_numpy, to_text

LAYOUTS = ("mixed", "numerator", "denominator")

# --------------------------------------------------------------------------- the hand-made nets


def _sigmoid(u):
    return 1.0 / (1.0 + np.exp(-u))


ACTS = {"tanh": np.tanh, "relu": lambda u: np.maximum(u, 0.0), "sigmoid": _sigmoid}


@dataclass(frozen=True)
class Net:
    """Hidden layers h_k = act_k(W_k h_{k-1} + b_k) (h_0 = x), then y = W_{K+1} h_K + b_{K+1},
    then the loss: "mse" = ‖y - t‖²/2 or "xent" = -tᵀ log(softmax(y))."""

    acts: tuple[str, ...]
    bias: tuple[bool, ...]  # one per layer, the final linear layer included
    loss: str
    dims: tuple[int, ...]  # d0 (input), d1 … dK (hidden), d_{K+1} (output)
    seed: int

    @property
    def depth(self) -> int:
        return len(self.acts) + 1  # linear layers, the final one included

    @property
    def params(self) -> list[str]:
        out = []
        for k in range(1, self.depth + 1):
            out.append(f"W{k}")
            if self.bias[k - 1]:
                out.append(f"b{k}")
        return out

    def _h(self, k: int) -> str:
        return "x" if k == 0 else f"h{k}"

    def _affine(self, k: int, inner: str) -> str:
        return f"W{k}*{inner}" + (f" + b{k}" if self.bias[k - 1] else "")

    def _loss(self, y: str) -> str:
        if self.loss == "mse":
            return f"norm2({y} - t)**2/2"
        return f"-t.T*log(softmax({y}))"

    def steps(self) -> list[str]:
        """One step per layer, outermost first for some seeds, shuffled for the others (the
        steps may come in any order)."""
        K = len(self.acts)
        out = [f"L = {self._loss('y')}", f"y = {self._affine(K + 1, self._h(K))}"]
        for k in range(K, 0, -1):
            out.append(f"h{k} = {self.acts[k - 1]}({self._affine(k, self._h(k - 1))})")
        if self.seed % 2:
            random.Random(self.seed).shuffle(out)
        return out

    def composed(self) -> str:
        e = "x"
        for k, act in enumerate(self.acts, start=1):
            e = f"{act}({self._affine(k, e)})"
        return self._loss(self._affine(self.depth, e))

    def let(self, symbolic: bool) -> list[str]:
        d = [f"d{i}" for i in range(len(self.dims))] if symbolic else [str(n) for n in self.dims]
        out = [f"x:{d[0]}", f"t:{d[-1]}"]
        for k in range(1, self.depth + 1):
            out.append(f"W{k}:{d[k]},{d[k - 1]}")
            if self.bias[k - 1]:
                out.append(f"b{k}:{d[k]}")
        return out

    def sizes(self, symbolic: bool) -> dict[str, int]:
        return {f"d{i}": n for i, n in enumerate(self.dims)} if symbolic else {}

    def forward(self, v: dict[str, object]) -> tuple[float, dict[str, object], list]:
        """L, the steps' values (h1 … hK, y), and every pre-activation — plain NumPy."""
        h, inter, pre = v["x"], {}, []
        for k in range(1, self.depth + 1):
            u = v[f"W{k}"] @ h + (v[f"b{k}"] if self.bias[k - 1] else 0.0)
            if k == self.depth:
                inter["y"] = u
                break
            pre.append(u)
            h = ACTS[self.acts[k - 1]](u)
            inter[f"h{k}"] = h
        y = inter["y"]
        if self.loss == "mse":
            L = 0.5 * float(np.sum((y - v["t"]) ** 2))
        else:
            logp = y - np.max(y) - np.log(np.sum(np.exp(y - np.max(y))))
            L = -float(v["t"] @ logp)
        return L, inter, pre

    def point(self) -> dict[str, object]:
        """Random values with every pre-activation at least 0.05 away from 0 (relu's kink)."""
        rng = np.random.default_rng(self.seed)
        for _ in range(500):
            v: dict[str, object] = {"x": rng.normal(size=self.dims[0])}
            for k in range(1, self.depth + 1):
                n, m = self.dims[k], self.dims[k - 1]
                v[f"W{k}"] = rng.normal(size=(n, m)) * (1.3 / np.sqrt(m))
                if self.bias[k - 1]:
                    v[f"b{k}"] = rng.normal(size=n) * 0.5
            if self.loss == "mse":
                v["t"] = rng.normal(size=self.dims[-1])
            elif self.seed % 3 == 0:  # a one-hot target
                v["t"] = np.eye(self.dims[-1])[rng.integers(self.dims[-1])]
            else:  # a probability vector
                v["t"] = rng.dirichlet(np.ones(self.dims[-1]))
            _, _, pre = self.forward(v)
            if all(np.min(np.abs(u)) >= 0.05 for u in pre):
                return v
        raise AssertionError("no point away from the kinks")


NETS = [
    Net((), (False,), "mse", (3, 2), 13),
    Net((), (True,), "xent", (2, 3), 14),
    Net(("tanh",), (True, True), "mse", (3, 4, 2), 1),
    Net(("relu",), (False, True), "xent", (2, 3, 3), 2),
    Net(("sigmoid", "tanh"), (True, False, True), "xent", (3, 4, 2, 3), 3),
    Net(("relu", "sigmoid"), (True, True, True), "mse", (2, 3, 4, 2), 4),
    Net(("tanh", "relu", "sigmoid"), (True, True, False, True), "mse", (3, 2, 4, 3, 2), 5),
    Net(("sigmoid", "relu", "tanh"), (False, True, True, True), "xent", (2, 4, 3, 2, 3), 6),
    Net(("relu", "tanh", "sigmoid", "relu"), (True,) * 5, "xent", (3, 4, 3, 2, 4, 3), 7),
    Net(("tanh", "sigmoid", "relu", "tanh"), (True, False, True, False, True), "mse",
        (2, 3, 2, 4, 3, 2), 8),
    Net(("sigmoid", "relu", "tanh", "relu", "sigmoid"), (True,) * 6, "mse",
        (3, 2, 3, 4, 2, 3, 2), 9),
    Net(("relu", "relu", "tanh", "sigmoid", "tanh"), (True, True, False, True, True, True),
        "xent", (2, 3, 4, 3, 2, 3, 4), 10),
    Net(("tanh", "relu", "sigmoid", "tanh", "relu", "sigmoid"), (True,) * 7, "xent",
        (3, 2, 3, 2, 4, 3, 2, 3), 11),
    Net(("relu", "sigmoid", "tanh", "relu", "tanh", "relu"), (True, False) * 3 + (True,), "mse",
        (2, 4, 3, 2, 3, 4, 2, 3), 12),
]  # fmt: skip
NET_IDS = [f"{len(n.acts)}hidden-{'-'.join(n.acts) or 'linear'}-{n.loss}" for n in NETS]


def _cases(layouts: tuple[str, ...] = LAYOUTS) -> list:
    """(net, symbolic, layout): every net at symbolic sizes in every layout; at integer sizes
    every layout for up to 3 hidden layers, the first layout only for the deeper ones; the
    6-hidden-layer cross-entropy net (the costliest derivation) in the first layout only.
    The layouts are covered by the others; this keeps the file inside its time budget."""
    out = []
    for net, nid in zip(NETS, NET_IDS, strict=True):
        heavy = len(net.acts) >= 6 and net.loss == "xent"
        for symbolic in (True, False):
            for layout in layouts:
                if (heavy or (not symbolic and len(net.acts) > 3)) and layout != layouts[0]:
                    continue
                kind = "symbolic" if symbolic else "integer"
                out.append(pytest.param(net, symbolic, layout, id=f"{nid}-{kind}-{layout}"))
    return out


def fd_grad(f, v: dict[str, object], name: str, h: float = 1e-3) -> np.ndarray:
    """∂f/∂v[name] by 4th-order central differences, shaped like v[name]."""
    x0 = np.asarray(v[name], dtype=float)
    g = np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        vals = []
        for s in (2, 1, -1, -2):
            x = x0.copy()
            x[i] += s * h
            vals.append(f({**v, name: x}))
        g[i] = (-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * h)
    return g


def in_layout(g: np.ndarray, layout: str) -> np.ndarray:
    """A mixed-layout gradient (shaped like the variable) in `layout`, vectors 1-D (SPEC §3, §4)."""
    return g.T if layout == "numerator" and g.ndim == 2 else g


def close(got: object, want: object, what: str) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    err = float(np.max(np.abs(got - want))) if want.size else 0.0
    assert np.allclose(got, want, rtol=1e-6, atol=1e-8), (
        f"{what}: largest difference {err:.3g}\n got  {got.tolist()}\n want {want.tolist()}"
    )


@functools.cache
def _expected(net: Net) -> tuple[dict[str, object], float, dict[str, object], dict]:
    v = net.point()
    L, inter, _ = net.forward(v)
    grads = {p: fd_grad(lambda w: net.forward(w)[0], v, p) for p in net.params}
    return v, L, inter, grads


@functools.cache
def _chain(net: Net, symbolic: bool, layout: str):
    return matcalc.chain(
        net.steps(), wrt=",".join(net.params), let=net.let(symbolic), layout=layout
    )


@functools.cache
def _grad(net: Net, symbolic: bool, layout: str):
    return matcalc.grad(
        net.composed(), wrt=",".join(net.params), let=net.let(symbolic), layout=layout
    )


def _results(r) -> list:
    return r.results if hasattr(r, "results") else [r]


# --------------------------------------------------------------------------- 1. the networks


@pytest.mark.parametrize("net,symbolic,layout", _cases())
def test_chain_gradients_match_finite_differences(net, symbolic, layout):
    v, _, inter, grads = _expected(net)
    r = _chain(net, symbolic, layout)
    parts = _results(r)
    assert [x.wrt for x in parts] == net.params
    env = {"np": np, **v, **inter, **net.sizes(symbolic)}
    line = r.numpy()
    assert "\n" not in line
    got = eval(line, env)
    got = got if len(parts) > 1 else (got,)
    assert len(got) == len(net.params)
    for p, g, x in zip(net.params, got, parts, strict=True):
        close(g, in_layout(grads[p], layout), f"chain by {p} ({layout}), .numpy() tuple")
        close(eval(x.numpy(), env), in_layout(grads[p], layout), f"chain by {p} ({layout})")
        assert not x.chain.agreement.startswith("DIFFERS"), f"{p}: {x.chain.agreement}"


@pytest.mark.parametrize("net,symbolic,layout", _cases())
def test_grad_of_composed_expression_matches_finite_differences(net, symbolic, layout):
    v, _, _, grads = _expected(net)
    r = _grad(net, symbolic, layout)
    parts = _results(r)
    assert [x.wrt for x in parts] == net.params
    env = {"np": np, **v, **net.sizes(symbolic)}
    got = eval(r.numpy(), env)
    got = got if len(parts) > 1 else (got,)
    assert isinstance(got, tuple) and len(got) == len(net.params)
    for p, g, x in zip(net.params, got, parts, strict=True):
        close(g, in_layout(grads[p], layout), f"grad by {p} ({layout}), Results.numpy()")
        close(eval(x.numpy(), env), in_layout(grads[p], layout), f"grad by {p} ({layout})")


@pytest.mark.parametrize("net,symbolic,layout", _cases())
def test_generated_python_matches_finite_differences(net, symbolic, layout):
    v, L, _, grads = _expected(net)
    module = _grad(net, symbolic, layout).python()
    ns: dict[str, object] = {}
    exec(compile(module, "<generated>", "exec"), ns)
    out = ns["f_and_grad"](**v)
    assert len(out) == 1 + len(net.params)
    assert abs(float(out[0]) - L) <= 1e-9 * max(1.0, abs(L)), (float(out[0]), L)
    for p, g in zip(net.params, out[1:], strict=True):
        close(g, in_layout(grads[p], layout), f"python f_and_grad by {p} ({layout})")


def _json_shape(g: np.ndarray, layout: str) -> list[int]:
    """SPEC §3: a vector gradient is n×1 (mixed, denominator) or 1×n (numerator)."""
    if g.ndim == 1:
        return [1, g.shape[0]] if layout == "numerator" else [g.shape[0], 1]
    return list(in_layout(g, layout).shape)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("command", ["chain", "grad"])
@pytest.mark.parametrize("net", [NETS[4], NETS[7]], ids=[NET_IDS[4], NET_IDS[7]])
def test_cli_formats_of_several_names(cli, net, command, layout):
    """`matcalc chain|grad … --wrt W1,b1,… --format numpy|json|python|latex`, integer sizes."""
    v, L, inter, grads = _expected(net)
    body = net.steps() if command == "chain" else [net.composed()]
    args = [command, *body, "--wrt", ",".join(net.params), "--layout", layout]
    args += [a for s in net.let(False) for a in ("--let", s)]
    env = {"np": np, **v, **inter}
    code, out, err = cli(*args, "--format", "numpy")
    assert code == 0, err
    assert out.count("\n") == 1
    got = eval(out, env)
    assert isinstance(got, tuple) and len(got) == len(net.params)
    for p, g in zip(net.params, got, strict=True):
        close(g, in_layout(grads[p], layout), f"{command} CLI numpy by {p} ({layout})")
    code, out, err = cli(*args, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [x["wrt"] for x in data["results"]] == net.params
    for p, x in zip(net.params, data["results"], strict=True):
        close(eval(x["numpy"], env), in_layout(grads[p], layout), f"{command} json by {p}")
        assert x["shape"] == _json_shape(grads[p], layout), (p, x["shape"])
        assert x["text"] and x["latex"]
    code, out, err = cli(*args, "--format", "python")
    assert code == 0, err
    ns: dict[str, object] = {}
    exec(compile(out, f"<{command} --format python>", "exec"), ns)
    res = ns["f_and_grad"](**v)
    assert len(res) == 1 + len(net.params)
    assert abs(float(res[0]) - L) <= 1e-9 * max(1.0, abs(L))
    for p, g in zip(net.params, res[1:], strict=True):
        close(g, in_layout(grads[p], layout), f"{command} CLI python by {p} ({layout})")
    if command == "chain":
        code, out, err = cli(*args, "--format", "latex")
        assert code == 0, err
        assert out.startswith("\\begin{align*}") and out.rstrip().endswith("\\end{align*}")
        assert out.count("\\delta_") >= net.depth  # δ_y and one δ per hidden layer


def _torch_grads(net: Net, v: dict[str, object]) -> dict[str, np.ndarray]:
    torch = pytest.importorskip("torch")
    T = {k: torch.tensor(np.asarray(a), dtype=torch.float64) for k, a in v.items()}
    for p in net.params:
        T[p].requires_grad_(True)
    fns = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}
    h = T["x"]
    for k in range(1, net.depth + 1):
        u = T[f"W{k}"] @ h + (T[f"b{k}"] if net.bias[k - 1] else 0.0)
        h = u if k == net.depth else fns[net.acts[k - 1]](u)
    if net.loss == "mse":
        loss = ((h - T["t"]) ** 2).sum() / 2
    else:
        loss = -(T["t"] * torch.log_softmax(h, dim=0)).sum()
    loss.backward()
    return {p: T[p].grad.numpy() for p in net.params}


@pytest.mark.parametrize("net,symbolic,layout", _cases(("mixed", "numerator")))
def test_torch_backward_matches_chain_and_grad(net, symbolic, layout):
    v, _, inter, grads = _expected(net)
    tg = _torch_grads(net, v)
    for p in net.params:  # the hand-made reference agrees with PyTorch too
        close(grads[p], tg[p], f"finite differences vs torch, {p}")
    sizes = net.sizes(symbolic)
    from_chain = eval(_chain(net, symbolic, layout).numpy(), {"np": np, **v, **inter, **sizes})
    from_grad = eval(_grad(net, symbolic, layout).numpy(), {"np": np, **v, **sizes})
    if len(net.params) == 1:
        from_chain, from_grad = (from_chain,), (from_grad,)
    for i, p in enumerate(net.params):
        close(from_chain[i], in_layout(tg[p], layout), f"chain by {p} vs torch ({layout})")
        close(from_grad[i], in_layout(tg[p], layout), f"grad by {p} vs torch ({layout})")


# --------------------------------------------------------------------------- 2. the source's net

SRC = ["L = (y - t)**2/2", "y = v.T*s", "s = W2*z", "z = W1*x"]
SRC_LET = ["x:2", "W1:2,2", "W2:2,2", "v:2"]
SRC_EXPR = "(v.T*W2*W1*x - t)**2/2"
SRC_VALUES = {
    "x": np.array([1.0, 2.0]),
    "W1": np.array([[0.5, -1.0], [2.0, 0.25]]),
    "W2": np.array([[2.0, 1.0], [-0.5, 1.5]]),
    "v": np.array([1.0, -1.0]),
    "t": 0.5,
}


def _src_forward(v: dict[str, object]) -> tuple[float, dict[str, object]]:
    z = v["W1"] @ v["x"]
    s = v["W2"] @ z
    y = float(v["v"] @ s)
    return 0.5 * (y - v["t"]) ** 2, {"z": z, "s": s, "y": y}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_source_network_chain_equals_direct_gradient(layout):
    r = matcalc.chain(SRC, wrt="W1", let=SRC_LET, layout=layout)
    direct = matcalc.grad(SRC_EXPR, wrt="W1", let=SRC_LET, layout=layout)
    assert "symbolically" in r.chain.agreement
    assert r.chain.direct == direct.node
    v = SRC_VALUES
    _, inter = _src_forward(v)
    want = in_layout(fd_grad(lambda w: _src_forward(w)[0], v, "W1"), layout)
    close(eval(r.numpy(), {"np": np, **v, **inter}), want, f"chain by W1 ({layout})")
    close(eval(direct.numpy(), {"np": np, **v}), want, f"grad by W1 ({layout})")
    # hand-derived: dL/dW1 = (y - t) W2ᵀ v xᵀ
    y = inter["y"]
    close(want, in_layout((y - 0.5) * np.outer(v["W2"].T @ v["v"], v["x"]), layout), "formula")


def test_source_network_all_weights_and_torch():
    torch = pytest.importorskip("torch")
    v = SRC_VALUES
    T = {k: torch.tensor(a, dtype=torch.float64, requires_grad=True) for k, a in v.items()}
    z = T["W1"] @ T["x"]
    s = T["W2"] @ z
    y = T["v"] @ s
    loss = (y - T["t"]) ** 2 / 2
    loss.backward()
    _, inter = _src_forward(v)
    r = matcalc.chain(SRC, wrt="W1,W2,v", let=SRC_LET)
    g = matcalc.grad(SRC_EXPR, wrt="W1,W2,v", let=SRC_LET)
    by_chain = eval(r.numpy(), {"np": np, **v, **inter})
    by_grad = eval(g.numpy(), {"np": np, **v})
    for i, p in enumerate(("W1", "W2", "v")):
        close(by_chain[i], T[p].grad.numpy(), f"chain by {p} vs torch")
        close(by_grad[i], T[p].grad.numpy(), f"grad by {p} vs torch")
        assert r.results[i].chain.direct == matcalc.grad(SRC_EXPR, wrt=p, let=SRC_LET).node
        assert "symbolically" in r.results[i].chain.agreement
    close(float(T["t"].grad), -float(y.detach() - 0.5), "t.grad sanity")


# --------------------------------------------------------------------------- 3. the δ's


def test_source_network_deltas():
    r = matcalc.chain(SRC, wrt="W1", let=SRC_LET)
    assert [a.step for a in r.chain.adjoints] == ["y", "s", "z"]
    assert r.chain.via is not None and to_text(r.chain.via) == "δ_z xᵀ"
    assert "result: dL/dW1 = δ_z xᵀ = " in render(r, "text")
    v = SRC_VALUES
    _, inter = _src_forward(v)
    d_y = inter["y"] - v["t"]
    d_s = v["v"] * d_y
    d_z = v["W2"].T @ d_s
    want = {"y": d_y, "s": d_s, "z": d_z}
    env = {"np": np, **v, **inter, "delta_y": d_y, "delta_s": d_s, "delta_z": d_z}
    for a in r.chain.adjoints:
        close(eval(to_numpy(a.full), env), np.asarray(want[a.step]), f"δ_{a.step} written out")
        close(eval(to_numpy(a.node), env), np.asarray(want[a.step]), f"δ_{a.step} via δ's")
    close(eval(to_numpy(r.chain.via), env), np.outer(d_z, v["x"]), "via δ_z xᵀ")
    # the δ's by finite differences of L as a function of the step's value
    close(d_s, fd_grad(lambda w: 0.5 * (float(w["v"] @ w["s"]) - w["t"]) ** 2,
                       {**v, "s": inter["s"]}, "s"), "δ_s vs FD")  # fmt: skip


def test_deltas_of_a_deep_network():
    """δ_y, δ_h4, …, δ_h1 in reverse order, each ∂L/∂step by FD of the rest of the network."""
    net = NETS[8]  # relu, tanh, sigmoid, relu: 4 hidden layers, cross-entropy
    v, _, inter, _ = _expected(net)
    first = _results(_chain(net, False, "mixed"))[0]
    assert [a.step for a in first.chain.adjoints] == ["y", "h4", "h3", "h2", "h1"]

    def rest(w: dict[str, object], k: int) -> float:  # L as a function of h_k (h_{K+1} = y)
        h = w["y"] if k == net.depth else w[f"h{k}"]
        for j in range(k + 1, net.depth + 1):
            u = w[f"W{j}"] @ h + (w[f"b{j}"] if net.bias[j - 1] else 0.0)
            h = u if j == net.depth else ACTS[net.acts[j - 1]](u)
        return _loss(net, h, w)

    env = {"np": np, **v, **inter}
    for a in first.chain.adjoints:
        k = net.depth if a.step == "y" else int(a.step[1:])
        want = fd_grad(lambda w, k=k: rest(w, k), {**v, a.step: inter[a.step]}, a.step)
        close(eval(to_numpy(a.full), env), want, f"δ_{a.step} written out")


def _loss(net: Net, y: np.ndarray, w: dict[str, object]) -> float:
    if net.loss == "mse":
        return 0.5 * float(np.sum((y - w["t"]) ** 2))
    return -float(w["t"] @ (y - np.max(y) - np.log(np.sum(np.exp(y - np.max(y))))))


def test_chain_json_lists_the_deltas(cli):
    args = ["chain", *SRC, "--wrt", "W1", *[a for s in SRC_LET for a in ("--let", s)]]
    code, out, err = cli(*args, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [a["name"] for a in data["adjoints"]] == ["delta_y", "delta_s", "delta_z"]
    assert data["via"] == "δ_z xᵀ"
    assert "symbolically" in data["agreement"]


# --------------------------------------------------------------------------- 4. forward/reverse


def _square_chain(n: int) -> tuple[list[str], list[str]]:
    """y = A1 z1, z1 = A2 z2, …, z_{n-1} = An zn, zn = a t: n 2×2 Jacobians, then a 2-vector."""
    steps = ["y = A1*z1"] + [f"z{k} = A{k + 1}*z{k + 1}" for k in range(1, n)] + [f"z{n} = a*t"]
    let = [f"A{k}:2,2" for k in range(1, n + 1)] + ["a:2"]
    return steps, let


def _totals(report: str) -> tuple[int, int]:
    m = re.search(r"^total: (\d+) inner products; the other order .* takes (\d+) inner", report,
                  re.M)  # fmt: skip
    assert m, report
    return int(m.group(1)), int(m.group(2))


@pytest.mark.parametrize("n", [2, 3, 5])
def test_forward_and_reverse_mode_costs(n):
    steps, let = _square_chain(n)
    rev = matcalc.chain(steps, wrt="t", let=let, mode="reverse")
    fwd = matcalc.chain(steps, wrt="t", let=let, mode="forward")
    assert _totals(render(rev, "text")) == (4 * (n - 1) + 2, 2 * n)
    assert _totals(render(fwd, "text")) == (2 * n, 4 * (n - 1) + 2)
    assert "reverse mode" in render(rev, "text") and "forward mode" in render(fwd, "text")
    assert len(rev.chain.factors) == n + 1
    rng = np.random.default_rng(n)
    vals = {f"A{k}": rng.normal(size=(2, 2)) for k in range(1, n + 1)}
    vals["a"], vals["t"] = rng.normal(size=2), 0.7
    want = vals["a"]
    for k in range(n, 0, -1):
        want = vals[f"A{k}"] @ want
    zs, z = {}, vals["a"] * vals["t"]
    for k in range(n, 0, -1):
        zs[f"z{k}"] = z
        z = vals[f"A{k}"] @ z
    close(eval(rev.numpy(), {"np": np, **vals, **zs}), want, "dy/dt, reverse mode")
    close(eval(fwd.numpy(), {"np": np, **vals, **zs}), want, "dy/dt, forward mode")


@pytest.mark.parametrize("n", [2, 3, 5])
def test_cost_from_chain_cli_agrees(n):
    steps, let = _square_chain(n)
    lets = [a for s in let for a in ("--let", s)]
    env = {**os.environ, "MATCALC_PLAIN": "1"}
    run = functools.partial(subprocess.run, capture_output=True, text=True, env=env, timeout=60)
    p = run([sys.executable, "-m", "matcalc", "cost", "--from-chain", *steps, "--wrt", "t",
             *lets, "-f", "json"])  # fmt: skip
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["shapes"] == [[2, 2]] * n + [[2, 1]]
    ltr, rtl, opt = data["orders"]
    assert (ltr["name"], rtl["name"], opt["name"]) == ("left-to-right", "right-to-left", "optimal")
    assert ltr["inner_products"] == 4 * (n - 1) + 2
    assert rtl["inner_products"] == 2 * n
    assert opt["inner_products"] == 2 * n
    if n == 3:
        for mode, want in (("reverse", (10, 6)), ("forward", (6, 10))):
            p = run([sys.executable, "-m", "matcalc", "chain", *steps, "--wrt", "t", *lets,
                     "--mode", mode])  # fmt: skip
            assert p.returncode == 0, p.stderr
            assert _totals(p.stdout) == want


# --------------------------------------------------------------------------- 5. graphs


class _NumpyOps:
    tanh, sigmoid, sum = staticmethod(np.tanh), staticmethod(_sigmoid), staticmethod(np.sum)

    @staticmethod
    def relu(u):
        return np.maximum(u, 0.0)

    @staticmethod
    def log_softmax(y):
        return y - np.max(y) - np.log(np.sum(np.exp(y - np.max(y))))


def _torch_ops(torch):
    class Ops:
        tanh, sigmoid, relu, sum = torch.tanh, torch.sigmoid, torch.relu, torch.sum

        @staticmethod
        def log_softmax(y):
            return torch.log_softmax(y, dim=0)

    return Ops


def _residual(v, op=_NumpyOps):
    h = op.tanh(v["W"] @ v["x"])
    z = v["W"] @ h + v["x"]
    return op.sum((z - v["t"]) ** 2) / 2, {"h": h, "z": z}, []


def _tied(v, op=_NumpyOps):
    u1 = v["W"] @ v["x"] + v["c"]
    h1 = op.relu(u1)
    h2 = op.sigmoid(v["W"] @ h1 + v["x"])
    y = v["V"] @ h2 + h1
    return -op.sum(v["t"] * op.log_softmax(y)), {"h1": h1, "h2": h2, "y": y}, [u1]


def _decay(v, op=_NumpyOps):
    h = op.sigmoid(v["W1"] @ v["x"])
    y = v["W2"] @ h + v["b"]
    reg = v["lam"] * (op.sum(v["W1"] ** 2) + op.sum(v["W2"] ** 2)) / 2
    return op.sum((y - v["t"]) ** 2) / 2 + reg, {"h": h, "y": y}, []


@dataclass(frozen=True)
class Graph:
    steps: tuple[str, ...]
    expr: str
    forward: object
    let: tuple[str, ...]  # symbolic; integer sizes from `sizes`
    wrt: str
    paths: tuple[int, ...]  # how many paths lead to each --wrt name

    sizes = {"n": 3, "m": 4, "k": 2}

    def lets(self, symbolic: bool) -> list[str]:
        if symbolic:
            return list(self.let)
        return [re.sub(r"\b[nmk]\b", lambda m: str(self.sizes[m.group()]), s) for s in self.let]

    def point(self) -> dict[str, object]:
        rng = np.random.default_rng(42)
        for _ in range(500):
            v: dict[str, object] = {}
            for spec in self.let:
                name, _, shape = spec.partition(":")
                dims = tuple(self.sizes[d] for d in shape.split(","))
                v[name] = rng.normal(size=dims) * (0.8 if len(dims) == 2 else 1.0)
            if "lam" in self.wrt:
                v["lam"] = 0.3
            if "softmax" in self.expr:
                v["t"] = rng.dirichlet(np.ones(len(v["t"])))
            if all(np.min(np.abs(u)) >= 0.05 for u in self.forward(v)[2]):
                return v
        raise AssertionError("no point away from the kinks")

    def loss(self, v: dict[str, object]) -> float:
        return float(self.forward(v)[0])


GRAPHS = {
    # a residual connection: x reaches z directly and through h; W is used by both steps
    "residual": Graph(("L = norm2(z - t)**2/2", "z = W*h + x", "h = tanh(W*x)"),
                      "norm2(W*tanh(W*x) + x - t)**2/2", _residual,
                      ("x:n", "W:n,n", "t:n"), "W,x", (2, 2)),
    # tied weights (W in two layers), a skip connection (h1 into y), x in two layers
    "tied": Graph(("L = -t.T*log(softmax(y))", "y = V*h2 + h1", "h2 = sigmoid(W*h1 + x)",
                   "h1 = relu(W*x + c)"),
                  "-t.T*log(softmax(V*sigmoid(W*relu(W*x + c) + x) + relu(W*x + c)))", _tied,
                  ("x:n", "W:n,n", "V:n,n", "c:n", "t:n"), "W,x,V,c", (3, 3, 1, 2)),
    # weight decay: the loss step itself uses the weights (and a scalar name among the list)
    "decay": Graph(("L = norm2(y - t)**2/2 + lam*norm2(W1)**2/2 + lam*norm2(W2)**2/2",
                    "y = W2*h + b", "h = sigmoid(W1*x)"),
                   "norm2(W2*sigmoid(W1*x) + b - t)**2/2 + lam*norm2(W1)**2/2"
                   " + lam*norm2(W2)**2/2", _decay,
                   ("x:n", "W1:m,n", "W2:k,m", "b:k", "t:k"), "W1,W2,b,lam", (2, 2, 1, 1)),
}  # fmt: skip


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("symbolic", [True, False], ids=["symbolic", "integer"])
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_graph_every_path_contributes(name, symbolic, layout):
    graph = GRAPHS[name]
    v = graph.point()
    L, inter, _ = graph.forward(v)
    env = {"np": np, **v, **inter, **graph.sizes}
    let = graph.lets(symbolic)
    r = matcalc.chain(list(graph.steps), wrt=graph.wrt, let=let, layout=layout, check=symbolic)
    g = matcalc.grad(graph.expr, wrt=graph.wrt, let=let, layout=layout)
    assert r.check_ok is not False, r.check_error  # its own --check (symbolic sizes)
    names = graph.wrt.split(",")
    by_chain, by_grad = eval(r.numpy(), env), eval(g.numpy(), env)
    ns: dict[str, object] = {}
    exec(compile(g.python(), "<generated>", "exec"), ns)
    out = ns["f_and_grad"](**v)
    assert abs(float(out[0]) - L) <= 1e-9 * max(1.0, abs(L))
    for i, p in enumerate(names):
        want = in_layout(fd_grad(graph.loss, v, p), layout)
        x = r.results[i]
        assert x.wrt == p
        assert len(x.chain.paths) == graph.paths[i], (
            f"{p}: paths {[q.names for q in x.chain.paths]}"
        )
        assert not x.chain.agreement.startswith("DIFFERS"), x.chain.agreement
        close(by_chain[i], want, f"{name} chain by {p} ({layout})")
        close(by_grad[i], want, f"{name} grad by {p} ({layout})")
        close(out[i + 1], want, f"{name} python by {p} ({layout})")


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_graph_torch(name):
    torch = pytest.importorskip("torch")
    graph = GRAPHS[name]
    v = graph.point()
    T = {k: torch.tensor(a, dtype=torch.float64, requires_grad=True) for k, a in v.items()}
    graph.forward(T, _torch_ops(torch))[0].backward()
    _, inter, _ = graph.forward(v)
    for layout in ("mixed", "numerator"):
        r = matcalc.chain(list(graph.steps), wrt=graph.wrt, let=graph.lets(False), layout=layout)
        got = eval(r.numpy(), {"np": np, **v, **inter})
        for i, p in enumerate(graph.wrt.split(",")):
            want = in_layout(T[p].grad.numpy(), layout)
            close(got[i], want, f"{name} chain by {p} vs torch ({layout})")


def test_residual_vector_output_jacobian_by_x():
    """No loss: z = W tanh(W x) + x is a vector; dz/dx = 𝐈 + W diag(1 - h²) W, both paths."""
    v = GRAPHS["residual"].point()
    _, inter, _ = _residual(v)
    steps = list(GRAPHS["residual"].steps[1:])
    J = np.eye(3) + v["W"] @ np.diag(1 - inter["h"] ** 2) @ v["W"]
    for layout in LAYOUTS:
        r = matcalc.chain(steps, wrt="x", let=["x:n", "W:n,n"], layout=layout)
        assert len(r.chain.paths) == 2
        want = J.T if layout == "denominator" else J
        close(eval(r.numpy(), {"np": np, **v, **inter, "n": 3}), want, f"dz/dx ({layout})")


def test_residual_vector_output_by_matrix_numpy_is_the_full_array():
    """SPEC §3/§4: a vector by a matrix is a tensor; `numpy` prints the full array (F's axes,
    then X's), as `jacobian` does — one line using only np and the expression's names."""
    v = GRAPHS["residual"].point()
    _, inter, _ = _residual(v)
    W, x, h = v["W"], v["x"], inter["h"]
    want = np.zeros((3, 3, 3))
    for i, j in np.ndindex(3, 3):  # ∂z/∂W_ij = E_ij h + W ((1 - h²) ⊙ (E_ij x))
        E = np.zeros((3, 3))
        E[i, j] = 1.0
        want[:, i, j] = E @ h + W @ ((1 - h**2) * (E @ x))
    direct = matcalc.jacobian("W*tanh(W*x) + x", wrt="W", let=["x:3", "W:3,3"])
    close(eval(direct.numpy(), {"np": np, **v}), want, "jacobian by W (full array)")
    r = matcalc.chain(list(GRAPHS["residual"].steps[1:]), wrt="W", let=["x:3", "W:3,3"])
    line = r.numpy()
    try:
        got = eval(line, {"np": np, **v, **inter})
    except NameError as exc:
        pytest.fail(f"chain numpy line of dz/dW is not evaluable ({exc}): {line}")
    close(got, want, "chain by W (full array)")


def test_residual_vector_output_by_matrix_json_shape_is_the_tensor_shape(cli):
    """`chain … -f json` of dz/dW (z a 3-vector, W 3×3) has the tensor's shape, as `jacobian`."""
    lets = ["--let", "x:3", "--let", "W:3,3"]
    code, out, err = cli("jacobian", "W*tanh(W*x) + x", "--wrt", "W", *lets, "-f", "json")
    assert code == 0, err
    assert json.loads(out)["shape"] == [3, 3, 3]
    code, out, err = cli("chain", *GRAPHS["residual"].steps[1:], "--wrt", "W", *lets, "-f", "json")
    assert code == 0, err
    assert json.loads(out)["shape"] == [3, 3, 3]


def test_residual_vector_output_by_matrix_python_is_refused(cli):
    """A module of a tensor derivative (docs/layouts.md): `--format python` of `jacobian`
    returns the full array, the numpy line's; `chain`, and torch, are a user error that names
    the formats that work."""
    lets = ["--let", "x:3", "--let", "W:3,3"]
    for args, fmt in (
        (("chain", *GRAPHS["residual"].steps[1:]), "python"),
        (("jacobian", "W*tanh(W*x) + x"), "torch"),
    ):
        code, out, err = cli(*args, "--wrt", "W", *lets, "-f", fmt)
        assert (code, out) == (2, ""), err
        assert f"--format {fmt} of a tensor derivative" in err and "numpy" in err, err
    code, src, err = cli("jacobian", "W*tanh(W*x) + x", "--wrt", "W", *lets, "-f", "python")
    assert code == 0, err
    code, line, err = cli("jacobian", "W*tanh(W*x) + x", "--wrt", "W", *lets, "-f", "numpy")
    rng = np.random.default_rng(2)
    values = {"x": rng.normal(size=3), "W": rng.normal(size=(3, 3))}
    namespace: dict = {}
    exec(compile(src, "<generated>", "exec"), namespace)
    _, got = namespace["f_and_jacobian"](**values)
    want = eval(line, {"np": np, **values})  # the SPEC §4 line, checked against FD elsewhere
    assert got.shape == (3, 3, 3) and np.allclose(got, want)


# --------------------------------------------------------------------------- text, reports, cost


@pytest.mark.parametrize(
    "net,layout",
    [
        pytest.param(NETS[i], layout, id=f"{NET_IDS[i]}-{layout}")
        for i, layout in ((3, "mixed"), (3, "numerator"), (7, "mixed"), (7, "numerator"),
                          (13, "mixed"))
    ],
)  # fmt: skip
def test_text_of_each_gradient_reads_back(net, layout):
    """SPEC §4 v2: the text of any result is valid input with the same value; for `chain` the
    steps' names (h1 …, y) are declared vectors. Read back with `show`, its printed NumPy line
    is evaluated as SPEC §4 says and compared with the independent forward pass's gradient."""
    v, _, inter, grads = _expected(net)
    steps_let = [f"h{k}:{net.dims[k]}" for k in range(1, len(net.acts) + 1)]
    steps_let.append(f"y:{net.dims[-1]}")
    for r, let in ((_grad(net, False, layout), net.let(False)),
                   (_chain(net, False, layout), net.let(False) + steps_let)):  # fmt: skip
        text = r.text().splitlines()
        parts = _results(r)
        assert len(text) == len(parts)
        for line, x in zip(text, parts, strict=True):
            if len(parts) > 1:
                assert line == f"{x.wrt}: {x.text()}"
            back = matcalc.show(x.text(), let=let)
            want = in_layout(grads[x.wrt], layout)
            env = {"np": np, **v, **inter, **net.sizes(False)}
            close(eval(back.numpy(), env), want, f"{x.text()!r} read back: {back.numpy()}")


@pytest.mark.parametrize(
    "expr,want",
    [
        ("(a + t).T*W", lambda v: (v["a"] + v["t"]) @ v["W"]),
        ("(a - t).T*W", lambda v: (v["a"] - v["t"]) @ v["W"]),
        ("(2*a - t).T*W*a", lambda v: (2 * v["a"] - v["t"]) @ v["W"] @ v["a"]),
        ("W.T*(a - t)", lambda v: v["W"].T @ (v["a"] - v["t"])),
    ],
)
def test_numpy_line_of_a_transposed_sum_times_a_matrix(expr, want):
    """Found by reading gradients' text back (numerator layout): `(u - t)ᵀ W2` is what the
    text of a cross-entropy gradient holds; its numpy line must keep the sum together."""
    rng = np.random.default_rng(0)
    v = {"a": rng.normal(size=3), "t": rng.normal(size=3), "W": rng.normal(size=(3, 3))}
    line = matcalc.show(expr, let=["a:3", "t:3", "W:3,3"]).numpy()
    close(eval(line, {"np": np, **v}), want(v), f"show({expr!r}).numpy() = {line}")


def test_report_of_several_names():
    net = NETS[6]
    r = _chain(net, False, "mixed")
    report = render(r, "text")
    assert report.count("backprop (δ = ∂L/∂step") == 1
    for p in net.params:
        assert f"── by {p}" in report
        assert f"result: dL/d{p} = " in report
    assert report.count("direct: the derivative of the composed expression") == len(net.params)


def test_cost_from_chain_with_several_names(cli):
    """SPEC §1: --wrt takes a list; `cost --from-chain … --wrt W1,W2` must give costs or a user
    error (exit 2), never an internal error."""
    args = ["cost", "--from-chain", *SRC, *[a for s in SRC_LET for a in ("--let", s)]]
    code, _, err = cli(*args, "--wrt", "W1", "-f", "json")
    assert code == 0, err
    code, _, err = cli(*args, "--wrt", "W1,W2", "-f", "json")
    assert code in (0, 2) and "internal error" not in err, (code, err)
