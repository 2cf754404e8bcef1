"""The page of ``mudar serve`` in a real headless browser (Debian's chromium and chromedriver,
driven by Selenium; nothing is downloaded): upload a video, see its timeline and numbers, run a
retarget and download the mp4; a bad file is one message on the page.

``scripts/serve_screenshot.py`` takes the README's picture the same way.
"""

from __future__ import annotations

import contextlib
import os
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
    with serve(create_app(demo_duration_s=6.0)) as served:
        yield served


@contextlib.contextmanager
def serve(app):
    """(base url, app) while uvicorn serves ``app`` in a thread."""
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
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
    accents = browser.execute_script("return state.analysis.accents;")
    assert browser.execute_script("return state.analysis.bas.motion_method;") == accents["method"]
    words = f"Accents: {accents['words']} ({accents['method']})"
    assert words in text(browser, "feedback-stretches")

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
    items = "#retarget-results .retarget-item"
    wait(browser, 90).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, items)) == 1)
    first = browser.find_element(By.CSS_SELECTOR, items)
    r = browser.execute_script("return state.lastRetarget;")
    bas = first.find_element(By.CSS_SELECTOR, ".retarget-bas").text
    assert bas.startswith("BAS with its own music ") and "on the new song as it is" in bas
    assert f"-> after {r['bas_after']:.3f}" in bas.replace("\u2192", "->")
    notes = [li.text for li in first.find_elements(By.CSS_SELECTOR, ".retarget-notes li")]
    assert notes == r["notes"] and notes
    assert ("worse" in first.get_attribute("class").split()) is r["worse"]
    video_src = first.find_element(By.TAG_NAME, "video").get_attribute("src")
    assert video_src.endswith("/download")

    # a second method: both results stay listed, newest first, each with its own player
    Select(browser.find_element(By.ID, "method-select")).select_by_value("shift")
    browser.find_element(By.ID, "retarget-btn").click()
    wait(browser, 90).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, items)) == 2)
    shown = browser.find_elements(By.CSS_SELECTOR, items)
    assert [e.find_element(By.TAG_NAME, "h3").text.split(": ")[-1].split()[0] for e in shown] == [
        "shift",
        "dtw",
    ]
    srcs = [e.find_element(By.TAG_NAME, "video").get_attribute("src") for e in shown]
    assert srcs[1] == video_src and srcs[0] != video_src
    for e in shown:
        assert "after" in e.find_element(By.CSS_SELECTOR, ".retarget-bas").text
    browser.set_window_size(1400, 1000)
    browser.execute_script("document.getElementById('retarget').scrollIntoView();")
    shots = Path(os.environ.get("MUDAR_SCREENSHOTS", str(downloads)))
    browser.save_screenshot(str(shots / "retarget-list.png"))
    browser.set_window_size(1200, 1500)
    link = shown[1].find_element(By.CSS_SELECTOR, "a.retarget-download")
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


def test_an_unreliable_sync_says_so_and_offers_fix_anyway(server, browser, downloads):
    """A steady demo dance fixes its delay only modulo one beat: the page says it cannot tell,
    the button is a secondary "Fix anyway" that forces, and the forced copy is measured again;
    an unforced fix is refused, its line next to the button."""
    url, app = server
    browser.get(url)
    wait(browser, 20).until(lambda d: len(Select(d.find_element(By.ID, "media-select")).options))
    Select(browser.find_element(By.ID, "media-select")).select_by_visible_text("dance-120bpm.mp4")
    browser.find_element(By.ID, "analyze-btn").click()
    wait(browser).until(lambda d: d.execute_script("return !!state.analysis;"))
    sync = browser.execute_script("return state.analysis.sync;")
    assert sync["reliable"] is False and sync["confidence"] < sync["min_confidence"]
    words = text(browser, "sync")
    assert words.startswith("cannot tell the delay")
    assert f"confidence {sync['confidence']:.2f} below {sync['min_confidence']:.2f}" in words
    button = browser.find_element(By.ID, "fix-btn")
    assert button.text == "Fix anyway" and "secondary" in button.get_attribute("class").split()
    browser.set_window_size(1400, 1000)
    browser.execute_script("document.getElementById('analysis').scrollIntoView();")
    shots = Path(os.environ.get("MUDAR_SCREENSHOTS", str(downloads)))
    button.click()
    wait(browser, 90).until(EC.visibility_of_element_located((By.ID, "fix-download")))
    info = text(browser, "fix-info")
    assert "(a guess)" in info and "measured again on the fixed copy: " in info
    browser.save_screenshot(str(shots / "sync-unsure.png"))
    browser.set_window_size(1200, 1500)

    # as if the estimate were trusted: the unforced fix is refused, and says why by the button
    browser.execute_script("state.syncUnsure = false;")
    button.click()
    wait(browser, 90).until(
        lambda d: "inline-error" in d.find_element(By.ID, "fix-info").get_attribute("class")
    )
    assert text(browser, "fix-info").startswith("dance-120bpm.mp4: cannot tell the delay")
    assert not browser.find_element(By.ID, "fix-download").is_displayed()


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


def test_a_worse_retarget_is_flagged_with_its_sentence(server, browser, downloads):
    """A result the server calls ``worse`` (set as a job would deliver it) is flagged, its
    sentence marked among the notes; a dance without sound has no own-music BAS."""
    url, _ = server
    browser.get(url)
    wait(browser, 20).until(lambda d: len(Select(d.find_element(By.ID, "media-select")).options))
    worse = "dtw lowered the fit on the new song: BAS 0.700 with the dance as it is -> 0.650"
    browser.execute_script(
        """document.getElementById('retarget').hidden = false;
        showRetarget({id: 'x', result: {video: 'a.mp4', music: 'b.wav', method: 'dtw',
          out: 'a-on-b-dtw.mp4', duration_s: 6, bas_before: null, bas_before_new_song: 0.7,
          bas_after: 0.65, worse: true, offset_before_s: 0.02, offset_after_s: 0.05,
          min_speed: 0.8, max_speed: 1.2,
          notes: ['The whole dance (6.0 s) is shown once, on 6.0 s of song', arguments[0]]}});""",
        worse,
    )
    item = browser.find_element(By.CSS_SELECTOR, "#retarget-results .retarget-item.worse")
    assert item.find_element(By.TAG_NAME, "h3").text.endswith("dtw \u2014 worse")
    bas = item.find_element(By.CSS_SELECTOR, ".retarget-bas").text
    assert bas == (
        "BAS with its own music none (no sound); on the new song as it is 0.700 "
        "\u2192 after 0.650 worse"
    )
    assert item.find_element(By.CSS_SELECTOR, ".flag-note").text == worse
    browser.set_window_size(1400, 1000)
    browser.execute_script("document.getElementById('retarget').scrollIntoView();")
    shots = Path(os.environ.get("MUDAR_SCREENSHOTS", str(downloads)))
    browser.save_screenshot(str(shots / "retarget-worse.png"))
    browser.set_window_size(1200, 1500)


def test_a_synthetic_dance_is_none_of_these_genres(browser):
    """With the shipped genre classifier (35 ballroom dances), a demo dance (a rendered figure)
    shows "none of these", the closest genre in small print, its scores faded and why."""
    from mudar.models.checkpoint import default_classifier_path

    with serve(create_app(classifier=default_classifier_path(), demo_duration_s=6.0)) as (url, app):
        browser.get(url)
        wait(browser, 20).until(lambda d: len(Select(d.find_element(By.ID, "song-select")).options))
        video = next(f.path for f in app.state.store.media() if f.path.suffix == ".mp4")
        browser.find_element(By.ID, "upload-input").send_keys(str(video))
        wait(browser, 120).until(lambda d: text(d, "genre").startswith("none of these"))
        g = browser.execute_script("return state.analysis.genre;")
        assert (
            g["none_of_these"]
            and text(browser, "genre") == f"none of these (closest: {g['closest']})"
        )
        bars = browser.find_elements(By.CSS_SELECTOR, "#genre-bars .bar")
        assert len(bars) == 4 and all("faint" in b.get_attribute("class") for b in bars)
        assert float(bars[0].value_of_css_property("opacity")) < 1
        note = text(browser, "genre-note")
        assert "unlike the dances it knows (chacha, rumba, tango, waltz)" in note
        assert f"past its level {g['threshold']:.2f}" in note


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


@pytest.fixture(scope="module")
def body_dance(tmp_path_factory) -> Path:
    """A rendered dancer that MediaPipe finds (synthetic motion, still on every beat of the
    music it is muxed with), in a portrait picture, so that the page letterboxes it."""
    pytest.importorskip("mediapipe", reason="the skeleton needs the pose extra (mediapipe)")
    from dataclasses import replace

    from mudar.io.write import write_video
    from mudar.synthetic.motion import dance_joints
    from mudar.synthetic.skeleton import LOOKS, render_frames
    from mudar.synthetic.soundtrack import synth_music

    fps, sr = 25.0, 22050
    audio, beats = synth_music(tempo_bpm=96, duration_s=6.0, sr=sr)
    joints = dance_joints(beats, n_frames=int(6.0 * fps), fps=fps)
    look = replace(LOOKS["side"], name="tall", size=(240, 400))
    path = tmp_path_factory.mktemp("body") / "tall-dancer.mp4"
    return write_video(path, render_frames(joints, fps=fps, look=look), fps=fps, audio=audio, sr=sr)


CANVAS_PIXELS = """
const c = document.getElementById('skeleton'), v = document.getElementById('video');
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
const k = c.width / c.clientWidth;
let n = 0, x0 = 1e9, x1 = -1, y0 = 1e9, y1 = -1;
for (let i = 3; i < d.length; i += 4) {
  if (!d[i]) continue;
  const x = ((i - 3) / 4) % c.width, y = Math.floor((i - 3) / 4 / c.width);
  n++; x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
}
const near = arguments[0].map(([px, py]) => {  // any ink within 4 css px of each point
  let a = 0;
  for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) {
    const x = Math.round((px + dx) * k), y = Math.round((py + dy) * k);
    if (x < 0 || y < 0 || x >= c.width || y >= c.height) continue;
    a = Math.max(a, d[(y * c.width + x) * 4 + 3]);
  }
  return a;
});
return {n, box: [x0 / k, y0 / k, x1 / k, y1 / k], near, w: v.clientWidth, h: v.clientHeight,
        vw: v.videoWidth, vh: v.videoHeight, t: v.currentTime, paused: v.paused};
"""


def test_the_skeleton_follows_the_video_and_toggles(server, browser, body_dance, bar_video):
    url, _ = server
    browser.get(url)
    wait(browser, 20).until(lambda d: len(Select(d.find_element(By.ID, "media-select")).options))
    browser.find_element(By.ID, "upload-input").send_keys(str(body_dance))
    wait(browser, 120).until(
        lambda d: d.execute_script(
            "return !!(state.analysis && state.current.name === 'tall-dancer.mp4')"
        )
    )
    pose = browser.execute_script("return state.analysis.pose;")
    assert pose["found_fraction"] > 0.9 and pose["width"] == 240 and pose["height"] == 400
    assert pose["rate"] <= 15 and len(pose["times_s"]) == len(pose["keypoints"])
    toggle = browser.find_element(By.ID, "skeleton-toggle")
    assert toggle.is_selected() and toggle.is_enabled()  # on by default
    assert text(browser, "pose-note") == ""
    # the feedback is the body's: pose accents, named in a dancer's words
    assert browser.execute_script("return state.analysis.bas.motion_method;") == "pose"
    assert "Accents: the moments your body stops (pose)" in text(browser, "feedback-stretches")

    # paused on a sample: the joints are drawn where the picture shows them, letterboxed
    k = next(i for i, t in enumerate(pose["times_s"]) if t >= 2.0 and pose["keypoints"][i])
    browser.execute_script(
        "const v = document.getElementById('video'); v.pause(); v.currentTime = arguments[0];",
        pose["times_s"][k],
    )
    wait(browser, 10).until(
        lambda d: (
            d.execute_script(CANVAS_PIXELS, [])["n"] > 0
            and abs(d.execute_script(CANVAS_PIXELS, [])["t"] - pose["times_s"][k]) < 1e-3
        )
    )
    got = browser.execute_script(CANVAS_PIXELS, [])
    s = min(got["w"] / got["vw"], got["h"] / got["vh"])
    ox, oy = (got["w"] - got["vw"] * s) / 2, (got["h"] - got["vh"] * s) / 2
    assert ox > 20  # a portrait picture in a landscape box: bars left and right

    def shown(j):
        x, y = pose["keypoints"][k][j]
        return [ox + x * got["vw"] * s / pose["width"], oy + y * got["vh"] * s / pose["height"]]

    joints = [j for j in (0, 5, 6, 11, 12, 15, 16) if pose["confidence"][k][j] > 0.5]
    near = browser.execute_script(CANVAS_PIXELS, [shown(j) for j in joints])["near"]
    assert all(a > 0 for a in near), dict(zip(joints, near, strict=True))
    x0, y0, x1, y1 = got["box"]
    assert ox - 4 <= x0 and x1 <= got["w"] - ox + 4  # nothing drawn over the bars

    # playing (muted: a page may start a silent video by itself): drawn, following the time
    browser.execute_script("const v = document.getElementById('video'); v.muted = true; v.play();")
    wait(browser, 10).until(
        lambda d: d.execute_script(CANVAS_PIXELS, [])["t"] > pose["times_s"][k] + 0.3
    )
    assert browser.execute_script(CANVAS_PIXELS, [])["n"] > 0
    browser.execute_script("document.getElementById('video').pause();")

    browser.set_window_size(1400, 1000)
    browser.execute_script("document.getElementById('analysis').scrollIntoView();")
    shots = Path(os.environ.get("MUDAR_SCREENSHOTS", str(body_dance.parent)))
    browser.save_screenshot(str(shots / "skeleton-on.png"))

    toggle.click()  # off: cleared
    wait(browser, 10).until(lambda d: d.execute_script(CANVAS_PIXELS, [])["n"] == 0)
    toggle.click()  # on again, drawn again
    wait(browser, 10).until(lambda d: d.execute_script(CANVAS_PIXELS, [])["n"] > 0)

    # a video with nobody in it: "no dancer found" by the video, not an error
    browser.find_element(By.ID, "upload-input").send_keys(str(bar_video))
    wait(browser, 120).until(
        lambda d: d.execute_script(f"return state.current.name === '{bar_video.name}'")
    )
    assert text(browser, "pose-note") == "no dancer found"
    assert browser.execute_script(CANVAS_PIXELS, [])["n"] == 0
    assert not browser.find_element(By.ID, "error").is_displayed()
    browser.save_screenshot(str(shots / "no-dancer.png"))
    browser.set_window_size(1200, 1500)


@pytest.fixture(scope="module")
def late_media(tmp_path_factory) -> Path:
    """A folder with one synthetic dance (three tempo sections: the delay is not ambiguous)
    whose audio is 0.3 s late."""
    import media_factory as mf
    from mudar.io.audio import load_audio_track
    from mudar.io.remux import remux_with_audio
    from mudar.tasks.sync import shift_audio

    folder = tmp_path_factory.mktemp("late_media")
    src = mf.make_tempo_change_dance(tmp_path_factory.mktemp("late_src"), "src.mp4")
    y, sr = load_audio_track(src)
    remux_with_audio(src, folder / "late.mp4", shift_audio(y, offset_s=-0.3, sr=sr), sr=sr)
    return folder


def test_a_known_delay_is_found_fixed_and_measured_again(late_media, browser):
    """A dance whose audio is 0.3 s late: the page gives the delay with its confidence (no
    "cannot tell"), "Fix the sync" moves it, and the fixed copy is measured in sync."""
    with serve(create_app(media=late_media, classifier=None, dance_method="motion-energy")) as (
        url,
        _,
    ):
        browser.get(url)
        wait(browser, 20).until(
            lambda d: len(Select(d.find_element(By.ID, "media-select")).options)
        )
        Select(browser.find_element(By.ID, "media-select")).select_by_visible_text("late.mp4")
        browser.find_element(By.ID, "analyze-btn").click()
        wait(browser, 120).until(lambda d: d.execute_script("return !!state.analysis;"))
        sync = browser.execute_script("return state.analysis.sync;")
        assert sync["reliable"] is True and abs(sync["offset_s"] - 0.3) < 0.08
        words = text(browser, "sync")
        assert "cannot tell" not in words and "audio late" in words
        assert words.startswith(f"+{sync['offset_s']:.3f} s")
        button = browser.find_element(By.ID, "fix-btn")
        assert button.text == "Fix the sync" and "secondary" not in button.get_attribute("class")
        button.click()
        wait(browser, 120).until(EC.visibility_of_element_located((By.ID, "fix-download")))
        info = text(browser, "fix-info")
        assert info.startswith(f"audio moved by {sync['offset_s']:.3f} s")
        assert "(a guess)" not in info and "cannot tell" not in info
        after = float(info.split("measured again on the fixed copy: ")[1].split(" s")[0])
        assert abs(after) < 0.08
