"""The page of `matcalc serve` in a real browser: headless Chromium driven by selenium and
Debian's chromium-driver (`make test` installs both where it may; otherwise these tests skip and
say why). Controls are found as a person finds them: by their visible labels.

One server and one browser session for the module. A screenshot is saved as a test artefact
(its path is printed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.alarm import time_limit
from tests.test_serve import ROOT, running_server

WAIT = 60  # seconds a condition may take on a busy machine before the test fails


def _browser_or_skip():
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("no chromium or chromedriver: `make browser` installs Debian's (as root)")
    options = Options()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument("--window-size=1200,1500")
    try:
        return webdriver.Chrome(options=options, service=Service(driver))
    except WebDriverException as err:
        pytest.skip(f"chromium did not start: {str(err).splitlines()[0]}")


@pytest.fixture(scope="module")
def site():
    with running_server() as (base, _proc):
        browser = _browser_or_skip()
        browser.set_script_timeout(WAIT)
        try:
            yield base, browser
        finally:
            browser.quit()


def field(browser, label: str):
    """The control whose visible label is `label` (its `for` names the control)."""
    from selenium.webdriver.common.by import By

    found = browser.find_element(By.XPATH, f"//label[normalize-space(text())='{label}']")
    return browser.find_element(By.ID, found.get_attribute("for"))


def wait_for(browser, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT, poll_frequency=0.1).until(
        lambda b: condition(b), message=f"waited {WAIT} s for {what}"
    )


def value(browser, element_id: str) -> str:
    return browser.execute_script(f"return document.getElementById('{element_id}').value")


def fill(browser, label: str, text: str) -> None:
    element = field(browser, label)
    element.clear()
    element.send_keys(text)


def cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "matcalc", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "MATCALC_PLAIN": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_typing_an_expression_shows_it_typeset(site):
    base, browser = site
    browser.get(base + "/")
    fill(browser, "Declarations", "x:n")
    fill(browser, "wrt", "x")
    fill(browser, "Expression", "sin(x'*x)")  # no click: the page updates as one types
    wait_for(browser, lambda b: value(b, "out-text") == "2 cos(xᵀ x) x", "the live answer")
    math = browser.find_element("css selector", "#result math")
    assert "cos" in math.get_attribute("textContent")
    assert math.get_attribute("display") == "block"
    assert browser.find_element("id", "error").get_attribute("hidden") is not None


def test_switching_the_layout(site):
    base, browser = site
    query = {"command": "grad", "expr": "x'*A*x", "let": "x:n A:n,n", "wrt": "x"}
    browser.get(base + "/?" + urlencode(query))
    wait_for(browser, lambda b: value(b, "out-text") == "(A + Aᵀ) x", "the mixed layout")
    browser.find_element("xpath", "//label[normalize-space()='numerator']").click()
    wait_for(browser, lambda b: value(b, "out-text") == "xᵀ (A + Aᵀ)", "the numerator layout")
    assert parse_qs(urlsplit(browser.current_url).query)["layout"] == ["numerator"]
    radios = browser.find_elements("css selector", "[role=radiogroup] input[type=radio]")
    assert [r.get_attribute("value") for r in radios] == ["mixed", "numerator", "denominator"]


def test_an_error_is_shown_with_its_column(site):
    base, browser = site
    browser.get(base + "/?" + urlencode({"expr": "sin(x'*x", "let": "x:n", "wrt": "x"}))
    field(browser, "wrt")  # the page is there
    browser.find_element("xpath", "//button[normalize-space()='Derive']").click()
    alert = wait_for(
        browser,
        lambda b: b.find_element("css selector", "[role=alert]:not([hidden])"),
        "the error",
    )
    text = alert.text
    assert "(column 9)" in text and text.startswith("error: expected ')' to close '('")
    assert value(browser, "out-latex") == ""


def test_a_shared_url_restores_the_whole_query(site):
    base, browser = site
    query = {
        "command": "hessian",
        "expr": "logsumexp(x)",
        "let": "x:n",
        "wrt": "x",
        "layout": "denominator",
        "steps": "1",
    }
    shared = base + "/?" + urlencode(query)
    want = cli("hessian", "logsumexp(x)", "--let", "x:n", "--wrt", "x", "--layout", "denominator")
    for load in (lambda: browser.get(shared), browser.refresh):
        load()
        wait_for(browser, lambda b: value(b, "out-text").startswith(want.rstrip("\n")), "answer")
        assert field(browser, "Expression").get_attribute("value") == "logsumexp(x)"
        assert field(browser, "Command").get_attribute("value") == "hessian"
        assert browser.find_element("css selector", "input[value=denominator]").is_selected()
        assert browser.find_element("id", "steps").is_selected()
        assert not browser.find_element("id", "steps-box").get_attribute("hidden")


def test_the_latex_copy_area_is_the_cli_latex_and_copies(site):
    base, browser = site
    args = ["grad", "a'*inv(X)*b", "--wrt", "X", "--let", "X:n,n", "--let", "a:n", "--let", "b:n"]
    query = {"expr": "a'*inv(X)*b", "wrt": "X", "let": "X:n,n a:n b:n"}
    browser.get(base + "/?" + urlencode(query))
    want = cli(*args, "--format", "latex").removesuffix("\n")
    wait_for(browser, lambda b: value(b, "out-latex") == want, "the LaTeX")
    assert value(browser, "out-numpy") == cli(*args, "--format", "numpy").removesuffix("\n")
    assert value(browser, "out-python") == cli(*args, "--format", "python").removesuffix("\n")
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    browser.find_element("xpath", "//button[normalize-space()='Copy LaTeX']").click()
    wait_for(
        browser,
        lambda b: b.find_element("css selector", "[data-copy=out-latex]").get_attribute(
            "data-copied"
        ),
        "the copy",
    )
    pasted = browser.execute_async_script(
        "navigator.clipboard.readText().then(arguments[0], e => arguments[0]('failed: ' + e))"
    )
    assert pasted == want


def test_a_vjp_at_a_point(site):
    """The README's vjp: the page's v and at fields, and the value the CLI prints."""
    base, browser = site
    browser.get(base + "/")
    field(browser, "Command").send_keys("vjp")
    fill(browser, "Declarations", "")
    fill(browser, "wrt", "x")
    fill(browser, "v", "3,2,1")
    fill(browser, "at", "x=[1,2,3]")
    fill(browser, "Expression", "[x1^3+2x2^2+3x3, 3x1+2x2^2+x3^3, 2x1+x2^3+3x3^2]")
    wait_for(browser, lambda b: "[17, 52, 81]" in value(b, "out-text"), "the value at x")
    query = parse_qs(urlsplit(browser.current_url).query)
    assert (query["command"], query["v"], query["at"]) == (["vjp"], ["3,2,1"], ["x=[1,2,3]"])


def test_chain_factors_with_shapes_and_deltas(site):
    base, browser = site
    steps = "L = (y - t)^2/2\ny = v'*s\ns = W2*z\nz = W1*x"
    query = {"command": "chain", "expr": steps, "let": "x:2 W1:2,2 W2:2,2 v:2", "wrt": "W1"}
    browser.get(base + "/?" + urlencode(query))
    wait_for(browser, lambda b: b.find_elements("css selector", "#factors tbody tr"), "factors")
    rows = browser.find_elements("css selector", "#factors tbody tr")
    cells = [[c.text for c in r.find_elements("css selector", "td")[:2]] for r in rows]
    assert cells == [
        ["∂L/∂y", "scalar"],
        ["∂y/∂s", "2×1"],
        ["∂s/∂z", "2×2"],
        ["∂z/∂W1", "2×4 (vec)"],
    ]
    assert len(browser.find_elements("css selector", "#factors tbody math")) == 4
    adjoints = [a.text for a in browser.find_elements("css selector", "#adjoints li")]
    assert adjoints == ["δ_y = y - t", "δ_s = δ_y v", "δ_z = W2ᵀ δ_s"]


def test_a_screenshot_is_saved(site, tmp_path_factory, capsys):
    base, browser = site
    query = {"command": "grad", "expr": "x'*A*x", "let": "x:n A:n,n", "wrt": "x", "steps": "1"}
    browser.get(base + "/?" + urlencode(query))
    wait_for(browser, lambda b: value(b, "out-text").startswith("(A + Aᵀ) x"), "the answer")
    wait_for(browser, lambda b: b.find_elements("css selector", "#steps-math math"), "steps")
    path = tmp_path_factory.mktemp("serve") / "serve.png"
    with time_limit(120):
        assert browser.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with capsys.disabled():
        print(f"\nscreenshot of the page: {path}")
    target = os.environ.get("MATCALC_SCREENSHOT")  # e.g. docs/img/serve.png, to refresh it
    if target:
        Path(target).write_bytes(path.read_bytes())
