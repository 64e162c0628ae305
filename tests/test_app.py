"""`dettrack app`: the server's API on the shipped model, and the page driven in a real (headless) Chromium.

The browser test needs Chromium and its driver (Debian: apt install chromium chromium-driver;
.ci/run installs them); without them it skips and says so.
"""

import json
import os
import shutil
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import dettrack
from dettrack.commands.demo import BUNNY_BOX, clip_path
from dettrack.commands.track import write_tracks
from dettrack.eval.metrics.overlap import iou_xywh
from dettrack.video.draw import colour_of

flask = pytest.importorskip("flask", reason="dettrack app needs the 'app' extra (Flask)")
from dettrack.app import create_app  # noqa: E402

BUNNY = tuple(float(v) for v in BUNNY_BOX.split(","))
END = 12  # frames tracked by the runs here


def iou(a, b) -> float:
    return float(iou_xywh(np.array([a], float), np.array([b], float))[0])


@pytest.fixture(scope="module")
def model():
    return dettrack.load_model("pretrained")


@pytest.fixture()
def client(model, tmp_path):
    app = create_app(model, tmp_path / "work")
    yield app.test_client()
    app.extensions["dettrack"]["runner"].close()


def _wait_done(client, token: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/{token}/status").get_json()
        if status["state"] not in ("queued", "running"):
            return status
        time.sleep(0.2)
    raise AssertionError("the tracking run did not finish")


def test_a_run_from_the_api_writes_what_dettrack_track_writes(client, model, tmp_path):
    opened = client.post("/api/open", data={"path": str(clip_path())}).get_json()
    assert (opened["frames"], opened["width"], opened["height"]) == (132, 1280, 720)
    frame = client.get(f"/api/{opened['id']}/frame/7")
    assert frame.mimetype == "image/jpeg"
    started = client.post(f"/api/{opened['id']}/track", json={"start": 0, "end": END, "boxes": [list(BUNNY)]})
    assert started.status_code == 200
    status = _wait_done(client, opened["id"])
    assert status["state"] == "done" and status["done"] == END and status["files"] == ["tracks.json", "overlay.mp4", "results.zip"]
    rows = json.loads(client.get(f"/api/{opened['id']}/download/tracks.json").data)
    cli = write_tracks(model, dettrack.FrameSource(clip_path(), 0, END), {0: {0: BUNNY}}, tmp_path / "cli", {}, ("json",))
    expected = json.loads((cli.folder / "tracks.json").read_text())
    assert rows == expected  # the same tracker, the same rows
    assert all(r["objects"][0]["present"] for r in rows) and iou(rows[-1]["objects"][0]["box"], BUNNY) > 0.3  # the rabbit, still there
    assert [r["objects"]["0"]["score"] for r in status["rows"]] == [r["objects"][0]["score"] for r in rows]
    # the overlay differs from the plain frame around the box (mask tint, box lines)
    plain = np.asarray(_image(client.get(f"/api/{opened['id']}/frame/5").data), np.int16)
    drawn = np.asarray(_image(client.get(f"/api/{opened['id']}/frame/5?overlay=1").data), np.int16)
    x, y, w, h = (int(v) for v in rows[5]["objects"][0]["box"])
    assert np.abs(drawn - plain)[y : y + h, x : x + w].mean() > 10 and np.abs(drawn - plain)[:, : max(1, x - 20)].mean() < 3
    archive = client.get(f"/api/{opened['id']}/download/results.zip")
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert {"tracks.json", "overlay.mp4", "0/boxes.txt", "0/present.txt", "0/scores.txt", "masks/00000.png"} <= set(names)


def _image(data: bytes):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(data)).convert("RGB")


def test_bad_input_is_a_message_and_workspaces_are_private(client):
    assert client.post("/api/open", data={}).get_json()["error"].startswith("choose a video")
    missing = client.post("/api/open", data={"path": "/no/such/clip.mp4"})
    assert missing.status_code == 400 and "no such file" in missing.get_json()["error"]
    from io import BytesIO

    not_video = client.post("/api/open", data={"video": (BytesIO(b"hello"), "notes.txt")}, content_type="multipart/form-data")
    assert "not a video or image file" in not_video.get_json()["error"]
    broken = client.post("/api/open", data={"video": (BytesIO(b"\x00" * 4096), "clip.mp4")}, content_type="multipart/form-data")
    assert broken.status_code == 400 and "cut short or damaged" in broken.get_json()["error"]
    first = client.post("/api/open", data={"path": str(clip_path())}).get_json()["id"]
    second = client.post("/api/open", data={"path": str(clip_path())}).get_json()["id"]
    assert first != second and len(first) == 32
    outside = client.post(f"/api/{first}/track", json={"start": 0, "end": 3, "boxes": [[1300, 10, 20, 20]]})
    assert outside.status_code == 400 and "object 0" in outside.get_json()["error"] and "1280x720" in outside.get_json()["error"]
    assert "must be whole numbers" in client.post(f"/api/{first}/track", json={"start": 0, "end": 500, "boxes": [[1, 1, 9, 9]]}).get_json()["error"]
    assert "no object to track" in client.post(f"/api/{first}/track", json={"start": 0, "boxes": []}).get_json()["error"]
    assert client.post(f"/api/{first}/track", json={"start": 0, "end": 3, "boxes": [[200, 250, 300, 300]]}).status_code == 200
    assert client.get(f"/api/{second}/status").get_json() == {"state": "idle"}  # the other page's run is not this one's
    assert client.get("/api/0123456789abcdef0123456789abcdef/status").status_code == 404
    assert "no frame 200" in client.get(f"/api/{first}/frame/200").get_json()["error"]
    _wait_done(client, first)


def test_a_stopped_run_keeps_its_outputs_up_to_where_it_stopped(client):
    token = client.post("/api/open", data={"path": str(clip_path())}).get_json()["id"]
    client.post(f"/api/{token}/track", json={"start": 0, "boxes": [list(BUNNY)]})
    while client.get(f"/api/{token}/status").get_json()["done"] < 2:
        time.sleep(0.05)
    assert "stop it first" in client.post(f"/api/{token}/track", json={"start": 0, "boxes": [list(BUNNY)]}).get_json()["error"]
    client.post(f"/api/{token}/stop")
    status = _wait_done(client, token)
    assert status["state"] == "stopped" and 2 <= status["done"] < 132
    rows = json.loads(client.get(f"/api/{token}/download/tracks.json").data)
    assert [r["frame"] for r in rows] == list(range(status["done"]))  # complete up to the last frame tracked


def test_the_command_names_bad_options_before_loading_anything(capsys):
    from dettrack.cli import main

    assert main(["app", "--port", "70000"]) == 2
    assert "--port 70000: not a port number" in capsys.readouterr().err


def _browser():
    """Headless Chromium through selenium, or a skip naming what is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the 'dev' extra)")
    binary = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip("no Chromium and chromedriver on this machine (Debian: apt install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,1100"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))


@pytest.fixture()
def page(model, tmp_path):
    """The app served on a free local port, and a browser on its page."""
    from werkzeug.serving import make_server

    app = create_app(model, tmp_path / "work")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    browser = _browser()
    try:
        browser.get(f"http://127.0.0.1:{server.server_port}/")
        yield browser, f"http://127.0.0.1:{server.server_port}"
    finally:
        browser.quit()
        server.shutdown()
        app.extensions["dettrack"]["runner"].close()


def test_in_a_browser_open_click_draw_track_watch_and_download(page, model, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser, url = page
    wait = WebDriverWait(browser, 120)
    shots = os.environ.get("DETTRACK_APP_SCREENSHOTS")
    browser.find_element(By.ID, "file").send_keys(str(clip_path()))  # an upload, as a user picks a file
    browser.find_element(By.ID, "open").click()
    canvas = browser.find_element(By.ID, "canvas")
    wait.until(lambda b: canvas.get_attribute("data-frame") == "0")

    def go_to(frame: int) -> None:
        browser.execute_script("const s = document.getElementById('slider'); s.value = arguments[0]; s.dispatchEvent(new Event('input'));", frame)
        wait.until(lambda b: canvas.get_attribute("data-frame") == str(frame))

    def at(x: float, y: float) -> tuple[int, int]:
        """Frame pixel (x, y) as an offset from the canvas's centre in CSS pixels (selenium's origin)."""
        scale = canvas.size["width"] / 1280
        return round((x - 640) * scale), round((y - 360) * scale)

    # click an object the detector finds (frame 120: the rabbit, which NanoDet calls a bird)
    go_to(120)
    browser.find_element(By.ID, "detect").click()
    wait.until(lambda b: "found" in b.find_element(By.ID, "message").text)
    found = dettrack.detect(model, dettrack.FrameSource(clip_path(), 120, 121).__iter__().__next__())
    x, y, w, h = found.boxes[0]
    ActionChains(browser).move_to_element_with_offset(canvas, *at(x + w / 2, y + h / 2)).click().perform()
    picked = json.loads(browser.find_element(By.CSS_SELECTOR, "#objects li").get_attribute("data-box"))
    assert np.allclose(picked, found.boxes[0], atol=0.1)
    browser.find_element(By.ID, "clear").click()

    # draw the rabbit's box on frame 0 and track 12 frames
    go_to(0)
    bx, by, bw, bh = BUNNY
    ActionChains(browser).move_to_element_with_offset(canvas, *at(bx, by)).click_and_hold().move_to_element_with_offset(
        canvas, *at(bx + bw, by + bh)).release().perform()
    items = browser.find_elements(By.CSS_SELECTOR, "#objects li")
    assert len(items) == 1
    drawn = json.loads(items[0].get_attribute("data-box"))
    assert iou(drawn, BUNNY) > 0.95
    if shots:
        browser.save_screenshot(str(Path(shots) / "app_box.png"))
    browser.find_element(By.ID, "end").send_keys(str(END))
    browser.find_element(By.ID, "track").click()
    wait.until(lambda b: b.find_element(By.ID, "state").text.startswith(("done", "failed")))
    assert browser.find_element(By.ID, "state").text.startswith(f"done: {END} / {END} frames")

    # the outputs are the tracker's, for the box drawn
    links = {a.text: a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#downloads a")}
    assert set(links) == {"tracks.json", "overlay.mp4", "results.zip"}
    rows = json.loads(urllib.request.urlopen(links["tracks.json"]).read())
    expected = write_tracks(model, dettrack.FrameSource(clip_path(), 0, END), {0: {0: tuple(drawn)}}, tmp_path / "cli", {}, ("json",))
    assert rows == json.loads((expected.folder / "tracks.json").read_text())
    assert urllib.request.urlopen(links["overlay.mp4"]).read()[4:8] == b"ftyp"

    # the page shows the overlay: the last tracked frame, with the object's box in its colour
    wait.until(lambda b: canvas.get_attribute("data-overlay") == "1" and canvas.get_attribute("data-frame") == str(END - 1))
    x, y, w, h = rows[-1]["objects"][0]["box"]
    pixels = browser.execute_script(
        "const c = document.getElementById('canvas').getContext('2d');"
        "return Array.from(c.getImageData(arguments[0], arguments[1] - 4, 1, 9).data);", round(x + w / 2), round(y))
    colours = np.array(pixels).reshape(-1, 4)[:, :3]
    assert np.abs(colours - colour_of(1)).sum(axis=1).min() < 60  # the box's top edge, drawn in object 0's colour
    chart = browser.execute_script(
        "const c = document.getElementById('chart'); return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);")
    chart = np.array(chart).reshape(-1, 4)
    assert (np.abs(chart[:, :3] - colour_of(1)).sum(axis=1) < 40).sum() > 20  # the confidence line, in the same colour
    if shots:
        browser.execute_script("document.getElementById('slider').value = 6; document.getElementById('slider').dispatchEvent(new Event('input'));")
        wait.until(lambda b: canvas.get_attribute("data-frame") == "6")
        browser.save_screenshot(str(Path(shots) / "app_tracked.png"))


def test_the_page_can_let_the_detector_start_the_tracks(client):
    token = client.post("/api/open", data={"path": str(clip_path())}).get_json()["id"]
    bad = client.post(f"/api/{token}/track", json={"start": 120, "end": 126, "boxes": [], "classes": "unicorn"})
    assert bad.status_code == 400 and "unknown class 'unicorn'" in bad.get_json()["error"] and "person" in bad.get_json()["error"]
    assert "name classes to track" in client.post(f"/api/{token}/track", json={"start": 120, "boxes": [], "classes": ""}).get_json()["error"]
    # the shipped detector calls the rabbit a bird from frame 90 on (score 0.48 on frame 120)
    assert client.post(f"/api/{token}/track", json={"start": 120, "end": 126, "boxes": [], "classes": "bird"}).status_code == 200
    status = _wait_done(client, token)
    assert status["state"] == "done" and status["done"] == 6
    assert {k for r in status["rows"] for k in r["objects"]} == {"1"} and "1" in status["colours"]
    rows = json.loads(client.get(f"/api/{token}/download/tracks.json").data)
    assert rows[0]["objects"][0]["class"] == "bird" and rows[0]["objects"][0]["score"] == 1.0
    plain = np.asarray(_image(client.get(f"/api/{token}/frame/122").data), np.int16)
    drawn = np.asarray(_image(client.get(f"/api/{token}/frame/122?overlay=1").data), np.int16)
    x, y, w, h = (int(v) for v in rows[2]["objects"][0]["box"])
    assert np.abs(drawn - plain)[y : y + h, x : x + w].mean() > 10
