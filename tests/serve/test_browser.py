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
