"""The page's rhythm markers in a real headless browser, as a creator uses them: a beat (with
its 8-count) and a dance accent flash over the video, the metronome clicks on the beats, the
beat lane counts 1-8, the markers download; a flat dance rhythm stays flat with faint points;
an error shows next to the button that caused it; old jobs fold.

The browser and its download folder are :mod:`test_browser`'s (its module skip, without
chromium, holds here too); the server here uses ``motion-energy``, the fast method of a
server without the pose extra.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest
import test_browser as tb
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from mudar.serve.app import create_app

browser = tb.browser  # the same fixtures: one driver for the module, downloads allowed
downloads = tb.downloads
wait, text = tb.wait, tb.text


@pytest.fixture(scope="module")
def server():
    """(base url, app): uvicorn serving the app (6 s demo dances, motion-energy)."""
    with tb.serve(create_app(demo_duration_s=6.0, dance_method="motion-energy")) as served:
        yield served


def shots(fallback: Path) -> Path:
    return Path(os.environ.get("MUDAR_SCREENSHOTS", str(fallback)))


def analyse_demo(browser, url: str, name: str = "dance-120bpm.mp4") -> dict:
    browser.get(url)
    wait(browser, 20).until(lambda d: len(Select(d.find_element(By.ID, "media-select")).options))
    Select(browser.find_element(By.ID, "media-select")).select_by_visible_text(name)
    browser.find_element(By.ID, "analyze-btn").click()
    wait(browser, 120).until(
        lambda d: d.execute_script(f"return !!(state.analysis && state.current.name == '{name}')")
    )
    return browser.execute_script("return state.analysis.timeline;")


def seek(browser, t: float) -> None:
    browser.execute_script(
        "const v = document.getElementById('video'); v.pause(); v.currentTime = arguments[0];", t
    )
    wait(browser, 10).until(
        lambda d: (
            abs(d.execute_script("return document.getElementById('video').currentTime") - t) < 1e-3
        )
    )


def flashes(browser) -> dict:
    return browser.execute_script(
        """const b = document.getElementById('flash-beat'),
                 a = document.getElementById('flash-accent');
        return {beat: b.hidden ? null : b.textContent, accent: !a.hidden};"""
    )


def test_markers_flash_over_the_video_and_the_counts_download(server, browser, downloads):
    url, _ = server
    t = analyse_demo(browser, url)
    beats, accents = t["music"]["beat_times"], t["dance"]["rhythm_times"]
    assert len(beats) >= 10 and len(accents) >= 8
    # the dance rhythm named in a dancer's words, found without the music
    words = text(browser, "dance-method")
    assert words.startswith("Dance rhythm: the moments the picture stops moving (motion-energy)")
    assert "without the music" in words and "0 of " in words  # every stop of the demo is clear
    # 8-counts over the beats of the music lane, from the first beat, and the page says so
    counts = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#timeline svg .count")]
    assert counts[:10] == ["1", "2", "3", "4", "5", "6", "7", "8", "1", "2"]
    assert text(browser, "count-note").startswith("counted from the first beat")

    # paused just after beat 3: its count lights up over the video; between markers: nothing
    seek(browser, beats[2] + 0.03)
    wait(browser, 5).until(lambda d: flashes(d)["beat"] == "3")
    between = next(
        (a + b) / 2
        for a, b in zip(sorted(beats + accents), sorted(beats + accents)[1:], strict=False)
        if b - a > 0.4
    )
    seek(browser, between)
    wait(browser, 5).until(lambda d: flashes(d) == {"beat": None, "accent": False})
    accent = next(a for a in accents if all(abs(a - b) > 0.2 for b in beats[:1]))
    seek(browser, accent + 0.02)
    wait(browser, 5).until(lambda d: flashes(d)["accent"])
    browser.set_window_size(1400, 1100)
    seek(browser, beats[2] + 0.03)
    wait(browser, 5).until(lambda d: flashes(d)["beat"] == "3")
    browser.execute_script("document.getElementById('analysis').scrollIntoView();")
    browser.save_screenshot(str(shots(downloads) / "markers.png"))
    browser.set_window_size(1200, 1500)

    # 1 on the third beat: the counts move, the flash too, and so does the download
    Select(browser.find_element(By.ID, "count-from")).select_by_value("2")
    counts = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#timeline svg .count")]
    assert counts[:4] == ["7", "8", "1", "2"]
    assert text(browser, "count-note").startswith("counted from beat 3")
    wait(browser, 5).until(lambda d: flashes(d)["beat"] == "1")
    link = browser.find_element(By.ID, "markers-csv")
    assert link.get_attribute("href").endswith("format=csv&count_from=3")
    for old in downloads.glob("*-markers.csv"):
        old.unlink()
    link.click()
    got = []
    for _ in range(100):
        got = [p for p in downloads.glob("*-markers.csv") if p.stat().st_size]
        if got:
            break
        time.sleep(0.1)
    assert [p.name for p in got] == ["dance-120bpm-markers.csv"]
    rows = list(csv.DictReader(got[0].open(encoding="utf-8")))
    beat_rows = [r for r in rows if r["kind"] == "beat"]
    assert [float(r["time_s"]) for r in beat_rows] == beats
    assert [r["count"] for r in beat_rows][:4] == ["7", "8", "1", "2"]
    assert [float(r["time_s"]) for r in rows if r["kind"] == "accent"] == accents
    srt = browser.find_element(By.ID, "markers-srt").get_attribute("href")
    assert srt.endswith("format=srt&count_from=3")
    assert not browser.find_element(By.ID, "error").is_displayed()


def test_the_metronome_clicks_on_each_beat_while_the_video_plays(server, browser):
    url, _ = server
    t = analyse_demo(browser, url)
    toggle = browser.find_element(By.ID, "metronome-toggle")
    assert not toggle.is_selected()  # off by default
    browser.execute_script("const v = document.getElementById('video'); v.currentTime = 0.5;")
    browser.execute_script("document.getElementById('video').play();")
    wait(browser, 10).until(
        lambda d: d.execute_script("return document.getElementById('video').currentTime") > 1.5
    )
    assert browser.execute_script("return metro.clicks.length") == 0  # off: silent
    browser.execute_script("document.getElementById('video').pause();")

    toggle.click()  # the click is the user's gesture that lets the page make sound
    assert browser.execute_script("return metro.ctx && metro.ctx.state") == "running"
    browser.execute_script(
        "const v = document.getElementById('video'); v.muted = true; v.currentTime = 0.5; v.play();"
    )
    wait(browser, 15).until(
        lambda d: d.execute_script("return document.getElementById('video').currentTime") > 4.0
    )
    browser.execute_script("document.getElementById('video').pause();")
    clicks = browser.execute_script("return metro.clicks;")
    beats = t["music"]["beat_times"]
    ahead = [i for i, b in enumerate(beats) if 0.5 < b <= 4.0]
    got = [c["beat"] for c in clicks]
    # one click for each beat played, in order, none twice; the count 1 on the first beat
    assert got[: len(ahead)] == ahead, (got, ahead)
    assert len(set(got)) == len(got)
    assert all(c["count"] == (c["beat"] % 8) + 1 for c in clicks)
    # each scheduled at most 0.1 s ahead of the video, and not late
    assert all(-0.05 <= beats[c["beat"]] - c["video"] <= 0.15 for c in clicks), clicks


def test_a_flat_dance_rhythm_stays_flat_and_its_points_faint(server, browser, tmp_path):
    """Issue 28: picture noise (a motion that never stops) over silence. Its strength was
    stretched to 0-1 and drawn as sharp peaks under confident points; now the curve stays low
    on its own 0-1 scale and the points are faint, the legend saying what faint means."""
    from test_app_markers import make_noise_clip

    url, _ = server
    browser.get(url)
    wait(browser, 20).until(lambda d: len(Select(d.find_element(By.ID, "media-select")).options))
    noise = make_noise_clip(tmp_path / "noise.mp4")
    browser.find_element(By.ID, "upload-input").send_keys(str(noise))
    wait(browser, 120).until(
        lambda d: d.execute_script(
            "return !!(state.analysis && state.current.name === 'noise.mp4')"
        )
    )
    c = browser.execute_script("return state.analysis.timeline.curves.dance_strength;")
    assert c["hi"] < 0.3 and c["scale"] == "absolute"
    # the curve drawn: every point in the lowest third of the dance lane (y 125..205)
    pts = browser.find_element(By.CSS_SELECTOR, "#timeline polyline.strength")
    ys = [float(p.split(",")[1]) for p in pts.get_attribute("points").split()]
    assert min(ys) > 205 - 0.3 * 80, min(ys)
    dots = browser.find_elements(By.CSS_SELECTOR, "#timeline .dance-point")
    weak = browser.find_elements(By.CSS_SELECTOR, "#timeline .dance-point.weak")
    assert len(dots) >= 5 and len(weak) >= 0.8 * len(dots)
    assert all(float(w.get_attribute("opacity")) < 0.5 for w in weak)
    assert "weak evidence" in text(browser, "dance-method")
    assert f"{len(weak)} of {len(dots)} points are faint" in text(browser, "dance-method")
    assert "weak evidence" in browser.find_element(By.CSS_SELECTOR, ".zoom .legend").text
    browser.set_window_size(1400, 1100)
    browser.execute_script("document.getElementById('analysis').scrollIntoView();")
    browser.save_screenshot(str(shots(tmp_path) / "flat-noise.png"))
    browser.set_window_size(1200, 1500)


def test_a_retarget_error_shows_next_to_its_button(server, browser):
    url, _ = server
    analyse_demo(browser, url)
    Select(browser.find_element(By.ID, "song-select")).select_by_visible_text("dance-90bpm.wav")
    # a song part the server refuses (the field's min=0 is only a hint to the browser)
    browser.execute_script("document.getElementById('song-start').value = '-3';")
    browser.find_element(By.ID, "retarget-btn").click()
    err = browser.find_element(By.ID, "retarget-error")
    wait(browser, 20).until(lambda d: err.is_displayed())
    assert err.text == "the song start must be >= 0 s, got -3.0"
    assert not browser.find_element(By.ID, "error").is_displayed()  # not at the top
    # beside the button, on its row
    button = browser.find_element(By.ID, "retarget-btn")
    assert err.find_element(By.XPATH, "..") == button.find_element(By.XPATH, "..")
    # the next try clears it
    browser.execute_script("document.getElementById('song-start').value = '0';")
    Select(browser.find_element(By.ID, "method-select")).select_by_value("shift")
    button.click()
    wait(browser, 5).until(lambda d: not err.is_displayed())


def test_old_jobs_fold_under_a_count(server, browser):
    """The running jobs and the three newest finished ones stay in view; the others fold
    under "n earlier jobs" (rows as the jobs' polls deliver them)."""
    url, _ = server
    browser.get(url)
    wait(browser, 20).until(lambda d: len(Select(d.find_element(By.ID, "media-select")).options))
    browser.execute_script(
        """for (let i = 0; i < 8; i++) {
             jobRow({id: 'f' + i, state: i === 3 ? 'error' : 'done', progress: 1,
                     step: 'done', error: 'bad file'}, 'job ' + i);
           }
           jobRow({id: 'run', state: 'running', progress: 0.4, step: 'working'}, 'job run');"""
    )
    shown = browser.find_elements(By.CSS_SELECTOR, "#jobs > .job")
    assert [r.get_attribute("id") for r in shown] == ["job-run", "job-f7", "job-f6", "job-f5"]
    summary = browser.find_element(By.CSS_SELECTOR, "#jobs > details#jobs-older > summary")
    assert summary.text == "5 earlier jobs"
    folded = browser.find_elements(By.CSS_SELECTOR, "#jobs-older .job")
    assert [r.get_attribute("id") for r in folded] == [f"job-f{i}" for i in (4, 3, 2, 1, 0)]
    assert not folded[0].is_displayed()
    summary.click()  # opened: the earlier ones show
    assert all(r.is_displayed() for r in folded)
    # the running job ends: now the fourth finished row, so the oldest shown one folds
    browser.execute_script("jobRow({id: 'run', state: 'done', progress: 1, step: 'done'}, 'x');")
    shown = browser.find_elements(By.CSS_SELECTOR, "#jobs > .job")
    assert [r.get_attribute("id") for r in shown] == ["job-run", "job-f7", "job-f6"]
    assert summary.text == "6 earlier jobs"
    # a new real job lands on top, in view
    browser.find_element(By.ID, "analyze-btn").click()
    wait(browser, 120).until(lambda d: d.execute_script("return !!state.analysis"))
    first = browser.find_element(By.CSS_SELECTOR, "#jobs > .job")
    assert first.find_element(By.CSS_SELECTOR, ".name").text.startswith("analyse ")
    assert summary.text == "7 earlier jobs"
