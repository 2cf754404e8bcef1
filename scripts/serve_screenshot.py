"""Take the README's picture of ``mudar serve`` (docs/serve.png) in headless chromium.

    python scripts/serve_screenshot.py [--out docs/serve.png] [--video DANCE] [--song SONG]
        [--classifier CLS] [--index IDX]

Starts the app on a free port, uploads ``--video`` (default: the first demo dance), waits for
its analysis, retargets it onto ``--song`` (default: another demo song), searches the index when
there is one, and saves the page as a 256-colour PNG. Needs the serve and dev extras, Debian's
chromium and chromedriver.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from mudar.serve.app import create_app


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/serve.png")
    p.add_argument("--video", help="dance video to upload (default: a demo dance)")
    p.add_argument("--song", help="song to retarget onto (default: a demo song)")
    p.add_argument("--classifier", help="genre classifier of mudar classify train")
    p.add_argument("--index", help="folder of mudar index build")
    p.add_argument("--width", type=int, default=1200)
    args = p.parse_args()

    app = create_app(classifier=args.classifier, index=args.index)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--mute-audio",
                f"--window-size={args.width},1600"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(
        service=webdriver.ChromeService(shutil.which("chromedriver")), options=options
    )
    wait = WebDriverWait(driver, 600, poll_frequency=0.2)
    try:
        driver.get(f"http://127.0.0.1:{port}/")
        wait.until(lambda d: len(Select(d.find_element(By.ID, "song-select")).options))
        demo = [f.path for f in app.state.store.media()]
        video = args.video or str(next(f for f in demo if f.suffix == ".mp4"))
        driver.find_element(By.ID, "upload-input").send_keys(str(Path(video).resolve()))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline svg .dance-point"))
        if args.song:
            driver.find_element(By.ID, "song-input").send_keys(str(Path(args.song).resolve()))
            wait.until(lambda d: "(uploaded)" in Select(d.find_element(By.ID, "song-select"))
                       .first_selected_option.text)  # fmt: skip
        else:
            songs = [f.name for f in demo if f.suffix == ".wav"]
            Select(driver.find_element(By.ID, "song-select")).select_by_visible_text(songs[-1])
        driver.find_element(By.ID, "retarget-btn").click()
        wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".retarget-download")))
        if args.index:
            driver.find_element(By.ID, "retrieve-btn").click()
            wait.until(EC.visibility_of_element_located((By.ID, "retrieve-results")))
        driver.execute_script("document.getElementById('video').currentTime = 2.5;")
        time.sleep(0.5)
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(args.width, height + 160)  # the window's own bars
        time.sleep(0.5)
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "page.png"
            driver.save_screenshot(str(raw))
            img = Image.open(raw).convert("RGB").quantize(colors=256)
            img.save(args.out, optimize=True)
        print(f"{args.out}: {img.size[0]}x{img.size[1]}, {Path(args.out).stat().st_size} bytes")
    finally:
        driver.quit()
        server.should_exit = True
        thread.join(10)
        app.state.close()


if __name__ == "__main__":
    main()
