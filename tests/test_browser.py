"""End to end, as a learner: the released notebooks in JupyterLab in a real headless Chromium.

One JupyterLab server (``jupyter lab`` on 127.0.0.1) serves a temporary copy of notebooks/bptt/;
Debian's Chromium, driven by Playwright, opens notebook 2, pastes a wrong and then a right
``calc_delta``, runs the cells and reads what the learner sees; then it opens notebook 5, which
imports the saved notebook 2, and its explorer widget. The tests run in file order on one page.

Skipped, with the reason in pytest's summary, where Chromium or Playwright is missing, unless
BPTT_REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into a failure. Screenshots of the
key moments are written to the module's temporary folder (its path is printed).
"""

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from browser_lab import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HOW_TO_INSTALL,
    Lab,
    cell,
    copy_release,
    menu,
    missing_browser,
    outputs_text,
    run_and_wait,
    type_into,
    wait_kernel_idle,
)

STEP_JACOBIAN = """def step_jacobian(W, state, activator):
    return W * activator.backward(state)  # column k times f'(net_j)[k]: W diag(f'(net_j))
"""
# The classic mistake: W where the recursion needs W^T.
CALC_DELTA_WRONG = """def calc_delta(sensitivity, states, W, activator):
    T = states.shape[0] - 1
    deltas = np.zeros((T + 1, W.shape[0]))
    deltas[T] = sensitivity
    for t in range(T - 1, 0, -1):
        deltas[t] = activator.backward(states[t]) * (W @ deltas[t + 1])
    return deltas
"""
CALC_DELTA_RIGHT = CALC_DELTA_WRONG.replace("(W @ deltas", "(W.T @ deltas")
TEST_CALC_DELTA = "check_calc_delta(calc_delta)"
INLINE_TEX = re.compile(r"\$[^$\s][^$]*\$")  # $...$ left as text: MathJax did not typeset it


@pytest.fixture(scope="module")
def lab(root, tmp_path_factory):
    reason = missing_browser()
    if reason:
        if os.environ.get("BPTT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser test required (BPTT_REQUIRE_BROWSER=1), but {reason}; "
                        f"{HOW_TO_INSTALL}")
        pytest.skip(f"browser test skipped: {reason}; {HOW_TO_INSTALL}")
    work = tmp_path_factory.mktemp("browser")
    server = Lab(copy_release(root, work / "bptt"), work / "state")
    print(f"\nbrowser test: JupyterLab log and screenshots in {work}")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(lab.state / "chromium-profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
            headless=True, env=lab.env, viewport={"width": 1400, "height": 1000})
        lab.wait_ready()
        context.set_default_timeout(60_000)  # two shared cores: generous, but never a sleep
        page = context.pages[0] if context.pages else context.new_page()
        page.page_errors = []  # JavaScript exceptions: JupyterLab or a widget broke
        page.on("pageerror", lambda exc: page.page_errors.append(str(exc)))
        yield page
        context.close()
    shutil.rmtree(lab.state / "chromium-profile", ignore_errors=True)  # 15 MB; keep the rest


def shot(page, lab, name, element=None):
    """A screenshot of what the learner sees (``element`` scrolled into view), for a person."""
    for _ in range(3 if element is not None else 0):  # cells above lay out late: may push it down
        element.scroll_into_view_if_needed()
        box = element.bounding_box()
        if box and 0 <= box["y"] < page.viewport_size["height"] - min(box["height"], 500):
            break
    page.screenshot(path=str(lab.state / f"{name}.png"))


def assert_math_rendered(page):
    markdown = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown")
    assert markdown.count() > 0
    assert page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown mjx-container"
                        ).count() > 0, "no MathJax output in the rendered markdown"
    for text in markdown.all_text_contents():  # innerText is empty out of view
        assert "$$" not in text and not INLINE_TEX.search(text), f"raw TeX left: {text[:300]}"


def assert_no_errors(page, allowed=()):
    """No error output and no widget error in the active notebook, but the ``allowed`` cells'."""
    for i, target in enumerate(page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").all()):
        errors = outputs_text(target, "stderr")
        if errors and not any(target.locator(".jp-InputArea-editor", has_text=a).count()
                              for a in allowed):
            raise AssertionError(f"cell {i + 1} shows an error:\n{errors[0][:1500]}")
        assert "Error displaying widget" not in target.text_content(), f"cell {i + 1}"
    assert not page.page_errors, page.page_errors


def test_notebook_02_wrong_then_right_calc_delta(lab, page):
    page.goto(lab.url("lab/tree/02_delta_recursion.ipynb"))
    wait_kernel_idle(page)
    assert_math_rendered(page)
    shot(page, lab, "02-opened")

    type_into(page, cell(page, "def step_jacobian("), STEP_JACOBIAN)
    type_into(page, cell(page, "def calc_delta("), CALC_DELTA_WRONG)
    test = cell(page, TEST_CALC_DELTA)
    run_and_wait(page, lambda: menu(page, "Run", "Run All Cells"), test)
    shot(page, lab, "02-wrong-calc-delta", test)
    feedback = "\n".join(outputs_text(test, "stdout"))
    assert "first wrong time step" in feedback, feedback
    assert re.search(r"\d+ of \d+ cases passed", feedback), feedback
    error = "\n".join(outputs_text(test, "stderr"))  # what nbgrader's Validate button shows
    assert "AssertionError" in error and "first wrong time step" in error, error
    assert "all" not in feedback.split("\n")[0]
    step_feedback = "\n".join(outputs_text(cell(page, "check_step_jacobian(step_jacobian)"),
                                           "stdout"))
    assert re.search(r"all \d+ cases passed", step_feedback), step_feedback

    type_into(page, cell(page, "def calc_delta("), CALC_DELTA_RIGHT)
    answer = cell(page, "def calc_delta(")
    run_and_wait(page, lambda: page.keyboard.press("Shift+Enter"), answer)
    test.locator(".jp-InputArea-editor").click()
    run_and_wait(page, lambda: menu(page, "Run", "Run Selected Cell and All Below"),
                 cell(page, "T_long, H_long ="))
    feedback = "\n".join(outputs_text(test, "stdout"))
    assert re.search(r"calc_delta: all \d+ cases passed", feedback), feedback
    assert "FAIL" not in feedback and not outputs_text(test, "stderr")

    mine = cell(page, "deltas_mine = deltas_of_yours(")
    printed = "\n".join(outputs_text(mine, "stdout"))
    error = re.search(r"rel_error.*= (\d\.\de[-+]\d+)", printed)
    assert error and float(error.group(1)) < 1e-6, printed  # against the numerical deltas
    for figure in (mine, cell(page, "T_long, H_long =")):  # matplotlib's PNGs, drawn
        image = figure.locator(".jp-OutputArea-output img")
        assert image.count() == 1
        assert image.evaluate("img => img.complete && img.naturalWidth > 200")
    shot(page, lab, "02-right-calc-delta", mine)
    assert_no_errors(page)
    page.keyboard.press("Control+s")  # notebook 5 imports calc_delta from the saved file
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')")


def test_notebook_05_uses_it_and_shows_the_explorer(lab, page):
    # Opened from the file browser, as a learner would, next to notebook 2.
    page.locator(".jp-DirListing-itemText", has_text="05_vanishing_exploding").dblclick()
    page.locator(".lm-TabBar-tabLabel", has_text="05_vanishing_exploding").wait_for()
    wait_kernel_idle(page)
    assert_math_rendered(page)

    explorer = cell(page, "widgets.interact(")
    clip_test = cell(page, "check_clip_grad_norm(clip_grad_norm)")  # the next exercise, unfinished
    run_and_wait(page, lambda: menu(page, "Run", "Run All Cells"), clip_test)
    loaded = "\n".join(outputs_text(cell(page, "def learners_calc_delta("), "stdout"))
    assert "Using your calc_delta from notebook 2." in loaded, loaded

    figures = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img")
    assert figures.count() >= 3
    widget = explorer.locator(".widget-interact")
    assert widget.locator(".widget-slider").count() == 2
    dropdown = widget.locator("select")
    assert dropdown.count() == 1
    first = widget.locator("img").get_attribute("src")
    assert first and first.startswith("data:image/png"), first
    shot(page, lab, "05-explorer", widget)
    dropdown.select_option("relu")  # the figure is drawn again (a new img) for ReLU
    page.wait_for_function("([w, src]) => { const img = w.querySelector('img');"
                           " return img !== null && img.src !== src; }",
                           arg=[widget.element_handle(), first])
    assert "relu" in widget.locator("select").input_value()
    shot(page, lab, "05-explorer-relu", widget)

    errors = "\n".join(outputs_text(clip_test, "stderr"))
    assert "NotImplementedError" in errors or "AssertionError" in errors, errors
    assert_no_errors(page, allowed=["check_clip_grad_norm(", "check_clip_grad_value("])


def test_notebook_05_reopened_shows_the_saved_explorer(lab, page):
    # Saved, kernel shut down, closed and opened again, as after a break: the explorer's saved
    # state (the course's JupyterLab setting saveState) is shown, not "model not found".
    setting = Path(sys.prefix) / "share/jupyter/lab/settings/overrides.d/bptt-course.json"
    assert setting.is_file(), (f"{setting} is missing: the course's environment is installed by "
                               "scripts/_env.sh, or from a wheel (pip install -e skips data files)")
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')")
    menu(page, "Kernel", "Shut Down Kernel")
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"No Kernel")).wait_for()
    menu(page, "File", "Close Tab")
    page.locator(".lm-TabBar-tabLabel", has_text="05_vanishing_exploding").wait_for(state="detached")
    page.locator(".jp-DirListing-itemText", has_text="05_vanishing_exploding").dblclick()
    page.locator(".lm-TabBar-tabLabel", has_text="05_vanishing_exploding").wait_for()
    explorer = cell(page, "widgets.interact(")
    explorer.locator(".widget-interact .widget-slider").first.wait_for()
    assert explorer.locator(".widget-interact img").count() == 1
    assert "Error displaying widget" not in explorer.text_content()
    shot(page, lab, "05-explorer-reopened", explorer)
