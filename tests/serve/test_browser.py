"""The page of ``mudar serve`` in a real headless browser (Debian's chromium and chromedriver,
driven by Selenium; nothing is downloaded): upload a video, see its timeline and numbers, run a
retarget and download the mp4; a bad file is one message on the page.

``scripts/serve_screenshot.py`` takes the README's picture the same way.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra (fastapi) is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="the serve extra (uvicorn) is not installed")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (the dev extra) is missing")

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from mudar.io import probe  # noqa: E402
from mudar.serve.app import create_app  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip(
        "no chromium/chromedriver on PATH (Debian: apt-get install chromium chromium-driver; "
        ".ci/run installs them)",
        allow_module_level=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """(base url, app): uvicorn serving the app (6 s demo dances) in a thread."""
    app = create_app(demo_duration_s=6.0)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", app
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,1500", "--mute-audio"):  # fmt: skip
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    yield driver
    driver.quit()


def wait(driver, timeout: float = 60):
    return WebDriverWait(driver, timeout, poll_frequency=0.2)


def text(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def test_upload_analyse_retarget_and_download(server, browser, downloads):
    url, app = server
    browser.get(url)
    wait(browser, 20).until(lambda d: len(Select(d.find_element(By.ID, "song-select")).options))
    video = next(f.path for f in app.state.store.media() if f.path.suffix == ".mp4")

    # upload: the analysis starts by itself; wait for the timeline and the numbers
    browser.find_element(By.ID, "upload-input").send_keys(str(video))
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline svg .dance-point"))
    svg = browser.find_element(By.CSS_SELECTOR, "#timeline svg")
    assert len(svg.find_elements(By.CSS_SELECTOR, ".beat")) >= 4
    assert len(svg.find_elements(By.CSS_SELECTOR, ".dance-point")) >= 4
    onset = svg.find_element(By.CSS_SELECTOR, "polyline.onset").get_attribute("points")
    assert len(onset.split()) > 100  # the envelope, not a stub
    assert svg.find_elements(By.CSS_SELECTOR, "polyline.strength")
    assert "BPM" in text(browser, "tempo") and float(text(browser, "tempo").split()[0]) > 0
    assert "confidence" in text(browser, "sync")
    assert "motion" in text(browser, "bas")
    assert text(browser, "genre") == "none" and "no genre model" in text(browser, "genre-bars")

    # the on-beat feedback: a dot per scored accent in its lane, the band, and the words
    r = browser.execute_script("return state.analysis.bas.feedback;")
    assert r["summary"]["n_accents"] > 0
    dots = svg.find_elements(By.CSS_SELECTOR, "circle.offset")
    assert len(dots) == r["summary"]["n_accents"]
    assert svg.find_elements(By.CSS_SELECTOR, "rect.band")
    late = [o for o in r["offsets"] if o["offset_s"] > 0]
    if late:  # a late accent is drawn above the zero line of its lane (y grows downwards)
        i = r["offsets"].index(late[0])
        assert float(dots[i].get_attribute("cy")) < 265
    words = text(browser, "feedback-text")
    assert words == r["text"] and "accents were on the beat (within 70 ms)" in words
    method = browser.execute_script("return state.analysis.bas.motion_method;")
    assert f"Accents: the {method} dance rhythm" in text(browser, "feedback-stretches")

    # zoom in: fewer beats drawn; the cursor follows the video
    n_beats = len(svg.find_elements(By.CSS_SELECTOR, ".beat"))
    browser.find_element(By.ID, "zoom-in").click()
    browser.find_element(By.ID, "zoom-in").click()
    zoomed = browser.find_elements(By.CSS_SELECTOR, "#timeline svg .beat")
    assert 0 < len(zoomed) < n_beats
    first_tick = browser.find_element(By.CSS_SELECTOR, "#timeline .tick").text
    svg = browser.find_element(By.CSS_SELECTOR, "#timeline svg")
    ActionChains(browser).move_to_element(svg).click_and_hold().move_by_offset(
        -150, 0
    ).move_by_offset(-150, 0).release().perform()  # drag to the left: later times come into view
    later = browser.find_element(By.CSS_SELECTOR, "#timeline .tick").text
    assert float(later.split()[0]) > float(first_tick.split()[0])
    browser.find_element(By.ID, "zoom-reset").click()
    browser.execute_script("document.getElementById('video').currentTime = 3.0;")
    x_at = float
    wait(browser, 10).until(
        lambda d: x_at(d.find_element(By.ID, "cursor").get_attribute("x1")) > 0.3 * 1100
    )

    # retarget onto a song, watch it, download it
    Select(browser.find_element(By.ID, "song-select")).select_by_visible_text("dance-90bpm.wav")
    Select(browser.find_element(By.ID, "method-select")).select_by_value("dtw")
    browser.find_element(By.ID, "retarget-btn").click()
    link = wait(browser, 90).until(EC.visibility_of_element_located((By.ID, "retarget-download")))
    assert "BAS" in text(browser, "retarget-info")
    assert browser.find_element(By.ID, "retarget-video").get_attribute("src").endswith("/download")
    link.click()
    got = []
    for _ in range(200):
        got = [p for p in downloads.glob("*.mp4")]
        if got:
            break
        time.sleep(0.1)
    assert got, "the mp4 was not downloaded"
    info = probe(got[0])
    assert info.has_video and info.has_audio and info.duration_s == pytest.approx(6.0, abs=0.2)
    assert "-on-dance-90bpm-dtw" in got[0].name
    assert not browser.find_element(By.ID, "error").is_displayed()


def test_a_rushed_stretch_is_named_and_seeks_the_video(server, browser):
    """The page shows what the server says: an analysis whose feedback has a rushed stretch
    (set in the page's state, as a job would deliver it) gets its words and a link that seeks."""
    url, app = server
    browser.get(url)
    wait(browser, 20).until(lambda d: len(Select(d.find_element(By.ID, "media-select")).options))
    browser.find_element(By.ID, "analyze-btn").click()
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline svg .offset"))
    browser.execute_script(
        """const r = state.analysis;
        r.bas.feedback.stretches = [{kind: "early", start_s: 1.5, end_s: 3.5,
                                     median_offset_s: -0.06, n_accents: 5}];
        r.bas.feedback.text = "60 % of your 10 accents were on the beat (within 70 ms); " +
                              "rushed from 0:02 to 0:04 by about 60 ms.";
        showAnalysis(state.current, r);"""
    )
    assert "rushed from 0:02 to 0:04 by about 60 ms" in text(browser, "feedback-text")
    assert browser.find_elements(By.CSS_SELECTOR, "#timeline svg rect.stretch.early")
    link = browser.find_element(By.CSS_SELECTOR, "#feedback-stretches a.stretch-link")
    assert link.text == "rushed 0:02\u20130:04 (60 ms)"
    link.click()
    wait(browser, 10).until(
        lambda d: (
            abs(d.execute_script("return document.getElementById('video').currentTime") - 1.5) < 0.2
        )
    )


def test_a_bad_file_is_one_message_on_the_page(server, browser, tmp_path):
    url, _ = server
    browser.get(url)
    wait(browser, 20).until(lambda d: len(Select(d.find_element(By.ID, "media-select")).options))
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n")
    browser.find_element(By.ID, "upload-input").send_keys(str(bad))
    error = wait(browser, 20).until(EC.visibility_of_element_located((By.ID, "error")))
    assert error.text == "notes.mp4: not a video or audio file mudar can read"
    # the server still serves: a demo file is analysed after it
    browser.find_element(By.ID, "analyze-btn").click()
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline svg .beat"))


def test_several_uploads_queue_and_all_finish(server, browser):
    url, app = server
    browser.get(url)
    wait(browser, 20).until(lambda d: len(Select(d.find_element(By.ID, "media-select")).options))
    videos = sorted(str(f.path) for f in app.state.store.media() if f.path.suffix == ".mp4")
    assert len(videos) >= 2
    browser.find_element(By.ID, "upload-input").send_keys("\n".join(videos[:2]))
    rows = lambda d: d.find_elements(By.CSS_SELECTOR, "#jobs .job.done .name")  # noqa: E731
    wait(browser).until(lambda d: sum(r.text.startswith("analyse ") for r in rows(d)) == 2)
    names = sorted(r.text for r in rows(browser) if r.text.startswith("analyse "))
    assert names == sorted(f"analyse {Path(v).name}" for v in videos[:2])
    assert not browser.find_element(By.ID, "error").is_displayed()
