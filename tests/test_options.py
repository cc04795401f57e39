"""One options object for the API and the CLI, and `chain` returning what every command returns
(issue 20, item 7): the API's keywords are unchanged, a bad option is refused in the CLI's words,
and `matcalc.chain` gives a Result (one name) or Results (several) whose printed forms are the
ones the chain always printed, checked against this file's own NumPy and finite differences."""

from __future__ import annotations

import dataclasses
import inspect
import json

import numpy as np
import pytest

import matcalc
from matcalc import api
from matcalc.errors import MatcalcError
from matcalc.options import Options
from matcalc.render import render
from tests.alarm import time_limit

E = inspect.Parameter.empty
DERIVATIVE = ["expr", "wrt", "let", "layout", "at", "check", "expand", "vec", "steps", "input"]
PRODUCT = ["expr", "wrt", "v", "let", "at", "check", "expand", "layout", "input"]
KEYWORDS = {  # SPEC §6: what help() and IDEs show, in this order
    "grad": [*DERIVATIVE, "timeout"],
    "jacobian": [*DERIVATIVE, "timeout"],
    "hessian": [*DERIVATIVE, "timeout"],
    "vjp": [*PRODUCT, "timeout"],
    "jvp": [*PRODUCT, "timeout"],
    "show": ["expr", "let", "at", "input", "timeout"],
    "chain": ["steps", "wrt", "let", "layout", "check", "mode", "timeout"],
}
DEFAULTS = {
    "let": None,
    "layout": "mixed",
    "at": None,
    "check": False,
    "expand": False,
    "vec": False,
    "steps": False,
    "input": "text",
    "timeout": None,
    "mode": None,
}

# How each command is asked, in the API and on the command line (x'Ax by x; a chain x → z → L).
LET = ["x:n", "A:n,n"]
CALLS = {
    "grad": (("x'*A*x",), {"wrt": "x", "let": LET}),
    "jacobian": (("A*x",), {"wrt": "x", "let": LET}),
    "hessian": (("x'*A*x",), {"wrt": "x", "let": LET}),
    "vjp": (("A*x",), {"wrt": "x", "v": "x", "let": LET}),
    "jvp": (("A*x",), {"wrt": "x", "v": "x", "let": LET}),
    "show": (("x'*A*x",), {"let": LET}),
    "chain": ((["L = z.T*z", "z = A*x"],), {"wrt": "x", "let": LET}),
}


def argv(name: str, extra: dict[str, str]) -> list[str]:
    """The command line of CALLS[name] with `extra` flags."""
    args, kw = CALLS[name]
    out = [name, *(args[0] if isinstance(args[0], list) else args)]
    for key, value in kw.items():
        for one in value if isinstance(value, list) else [value]:
            out += [f"--{key}", one]
    for key, value in extra.items():
        out += [f"--{key}", value]
    return out


@pytest.mark.parametrize("name", sorted(KEYWORDS))
def test_the_api_keeps_its_keywords(name):
    params = inspect.signature(getattr(matcalc, name)).parameters
    assert list(params) == KEYWORDS[name]
    for key, p in params.items():
        required = key in ("expr", "wrt", "v") or (name, key) == ("chain", "steps")
        want = E if required else DEFAULTS[key]
        assert p.default == want, f"{name}({key}=…) defaults to {p.default!r}, not {want!r}"


@pytest.mark.parametrize("name", sorted(KEYWORDS))
def test_the_defaults_make_the_default_options(name):
    """Every option a function takes defaults to the Options' default: one meaning everywhere."""
    params = inspect.signature(getattr(matcalc, name)).parameters
    given = {k: p.default for k, p in params.items() if p.default is not E}
    assert Options.of(given) == Options()
    assert {"let", "timeout"} <= set(given)  # the options every command takes


def _refused(fn, *args, **kw) -> str:
    with pytest.raises(MatcalcError) as err:
        fn(*args, **kw)
    return err.value.render()


BAD = [
    (
        "layout",
        "sideways",
        "error: unknown layout 'sideways'; choose one of mixed, numerator, denominator",
    ),
    ("input", "markdown", "error: unknown --input 'markdown'; choose text or latex"),
    ("mode", "sideways", "error: --mode is forward or reverse, not 'sideways'"),
]


@pytest.mark.parametrize(
    "name,option,value,message",
    [
        (name, option, value, message)
        for option, value, message in BAD
        for name in sorted(KEYWORDS)
        if option in KEYWORDS[name]
    ],
)
def test_a_bad_option_is_refused_in_the_clis_words(cli, name, option, value, message):
    args, kw = CALLS[name]
    with time_limit(120):
        got = _refused(getattr(matcalc, name), *args, **kw, **{option: value})
        code, out, err = cli(*argv(name, {option: value}))
    assert got == message
    assert (code, out, err) == (2, "", message + "\n")


def test_options_are_checked_when_made_and_then_frozen():
    assert _refused(Options, layout="Mixed").startswith("error: unknown layout 'Mixed'")
    assert (
        _refused(Options, input="LaTeX") == "error: unknown --input 'LaTeX'; choose text or latex"
    )
    o = Options.of({"expr": "x", "wrt": "x", "fmt": "json", "let": ["x:n"], "layout": "numerator"})
    assert (o.let, o.layout, o.check, o.timeout) == (("x:n",), "numerator", False, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.layout = "mixed"  # type: ignore[misc]


def test_vjp_checks_its_layout_and_ignores_it():
    """vᵀJ has one shape (SPEC §1): a good layout changes nothing, a bad one is refused."""
    args, kw = CALLS["vjp"]
    plain = matcalc.vjp(*args, **kw)
    assert matcalc.vjp(*args, **kw, layout="denominator").text() == plain.text() == "Aᵀ x"


# --------------------------------------------------------------------------- chain's results

STEPS = ["L = (y - t).T*(y - t)/2", "y = W2*h", "h = tanh(W1*x)"]
SIZES = ["x:3", "W1:4,3", "W2:2,4", "t:2"]
TEXT = {  # what matcalc.chain(...).text() and .numpy() printed before it returned a Result
    "W1": "((W2ᵀ (y - t)) ⊙ (𝟏 - tanh(W1 x)⊙²)) xᵀ",
    "W2": "(y - t) hᵀ",
    "x": "W1ᵀ ((W2ᵀ (y - t)) ⊙ (𝟏 - tanh(W1 x)⊙²))",
}
NUMPY = {
    "W1": "np.outer((((W2.T @ (y - t))) * (1 - (np.square(np.tanh((W1 @ x)))))), x)",
    "W2": "np.outer((y - t), h)",
    "x": "(W1.T @ (((W2.T @ (y - t))) * (1 - (np.square(np.tanh((W1 @ x)))))))",
}
rng = np.random.default_rng(20)
VALUES = {
    "x": rng.normal(size=3),
    "W1": rng.normal(size=(4, 3)),
    "W2": rng.normal(size=(2, 4)),
    "t": rng.normal(size=2),
}


def loss(v: dict) -> float:
    """The network, written here in NumPy: L = ‖W2 tanh(W1 x) - t‖²/2."""
    r = v["W2"] @ np.tanh(v["W1"] @ v["x"]) - v["t"]
    return float(r @ r / 2)


def numeric_gradient(name: str) -> np.ndarray:
    """Central finite differences of `loss` by one variable, shaped like it (the mixed layout)."""
    base = VALUES[name]
    out = np.zeros_like(base)
    for i in np.ndindex(base.shape):
        step = np.zeros_like(base)
        step[i] = 1e-6
        up = loss({**VALUES, name: base + step})
        down = loss({**VALUES, name: base - step})
        out[i] = (up - down) / 2e-6
    return out


def evaluated(line: str) -> object:
    """A NumPy line of the chain: the steps' own names (y, h) are bound to their values."""
    h = np.tanh(VALUES["W1"] @ VALUES["x"])
    env = {"np": np, **VALUES, "h": h, "y": VALUES["W2"] @ h}
    return eval(line, env)


@pytest.mark.parametrize("wrt", sorted(TEXT))
def test_chain_by_one_name_is_a_result(wrt):
    with time_limit(120):
        r = matcalc.chain(STEPS, wrt=wrt, let=SIZES, check=True)
    assert type(r) is matcalc.Result and r.kind == "chain" and r.wrt == wrt
    assert (r.text(), r.numpy()) == (TEXT[wrt], NUMPY[wrt])
    assert r.shape == VALUES[wrt].shape + ((1,) if wrt == "x" else ())
    got = np.asarray(evaluated(r.numpy()), dtype=float)
    assert np.allclose(got, numeric_gradient(wrt), atol=1e-6)
    assert r.check_ok is True and r.check_error < 1e-6
    assert "symbolically" in r.chain.agreement
    inner = ["∂y/∂W2"] if wrt == "W2" else ["∂y/∂h", "∂h/∂" + wrt]
    assert [f.name for f in r.chain.factors] == ["∂L/∂y", *inner]
    assert [a.step for a in r.chain.adjoints] == ["y", "h"]


def test_chain_by_several_names_is_results():
    with time_limit(120):
        r = matcalc.chain(STEPS, wrt="W1,W2", let=SIZES, check=True)
    assert type(r) is matcalc.Results and r.kind == "chain"
    assert [type(x) for x in r.results] == [matcalc.Result, matcalc.Result]
    assert [x.wrt for x in r.results] == ["W1", "W2"]
    assert r.text() == f"W1: {TEXT['W1']}\nW2: {TEXT['W2']}"
    assert r.numpy() == f"({NUMPY['W1']}, {NUMPY['W2']})"
    for name, got in zip(["W1", "W2"], evaluated(r.numpy()), strict=True):
        assert np.allclose(got, numeric_gradient(name), atol=1e-6)
    assert r.check_ok is True
    assert r.shape == ((4, 3), (2, 4))
    assert all("symbolically" in x.chain.agreement for x in r.results)


@pytest.mark.parametrize("wrt", ["W1", "W1,W2"])
@pytest.mark.parametrize("fmt", ["text", "latex", "table", "numpy", "json", "python"])
def test_render_of_a_chain_result_is_what_the_cli_prints(cli, wrt, fmt):
    """`render()` works on the chain's result as on any other: the CLI prints exactly it."""
    lets = [a for spec in SIZES for a in ("--let", spec)]
    with time_limit(120):
        r = matcalc.chain(STEPS, wrt=wrt, let=SIZES)
        code, out, err = cli("chain", *STEPS, "--wrt", wrt, *lets, "-f", fmt)
    assert (code, err) == (0, "")
    assert out == render(r, fmt) + "\n"
    if fmt == "json":
        data = json.loads(out)
        assert (data["kind"], data["text"], data["numpy"]) == ("chain", r.text(), r.numpy())
    if fmt == "text":
        assert out.startswith("steps: L = ") and "backprop (δ = ∂L/∂step" in out


def test_the_chains_python_module_runs():
    """`--format python` of a chain Result: the loss and its gradient, against this file's own."""
    r = matcalc.chain(STEPS, wrt="W1", let=SIZES)
    space: dict = {}
    exec(compile(r.python(), "<chain>", "exec"), space)
    fn = next(v for k, v in space.items() if k.startswith("f_and_"))
    params = list(inspect.signature(fn).parameters)
    value, gradient = fn(**{k: VALUES[k] for k in params})
    assert np.isclose(value, loss(VALUES))
    assert np.allclose(gradient, numeric_gradient("W1"), atol=1e-6)


def test_the_api_and_the_cli_share_one_runner(cli, monkeypatch):
    """Every command function, and every command of the CLI, goes through `api.run` with the
    same Options for the same request (no second code path)."""
    seen = []
    real = api.run

    def spy(command, expr, wrt, options, v=None):
        seen.append((command, options))
        return real(command, expr, wrt, options, v)

    monkeypatch.setattr(api, "run", spy)
    with time_limit(120):
        for name, (args, kw) in CALLS.items():
            check = ["--check"] if name != "show" else []  # show has no --check
            getattr(api, name)(*args, **kw, **({"check": True} if check else {}))
            code, _, err = cli(*argv(name, {}), *check)
            assert (code, err) == (0, ""), (name, err)
    assert [c for c, _ in seen] == [c for c in CALLS for _ in "AB"]
    for command, options in seen:
        check = command != "show"
        assert options == Options(let=tuple(LET), check=check), (command, options)
