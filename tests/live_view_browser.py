#!/usr/bin/python3
"""Drive Debian's headless Chromium through chromedriver (W3C WebDriver over plain HTTP,
no pip packages) against an isactb live view: open the page, type the control token and
press "resume" (the test paused the run before the browser came up), wait for the run's
final frame, save a screenshot and print what the page shows plus the browser's console
log as one JSON object on stdout.

usage: live_view_browser.py URL TOKEN SCREENSHOT.png WORKDIR
"""
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1000"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read().decode())["value"]


def main():
    url, token, shot, work = sys.argv[1:5]
    port = free_port()
    drv = subprocess.Popen(["/usr/bin/chromedriver", f"--port={port}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    sid = None
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium",
                                   "args": FLAGS + [f"--user-data-dir={work}/profile"]},
            "goog:loggingPrefs": {"browser": "ALL"}}}}
        sid = call(base, "POST", "/session", caps)["sessionId"]
        s = f"/session/{sid}"
        call(base, "POST", s + "/url", {"url": url})

        def page():
            return call(base, "POST", s + "/execute/sync", {"script": """
                const t = (id) => document.getElementById(id).textContent;
                return {state: t('state'), frames: +t('frames'), beam: t('beam'),
                        detections: t('det-total'), episodes_detected: t('episodes-detected'),
                        episodes: t('episodes'), kind: t('kind'),
                        control: t('control-result')};""", "args": []})

        def wait_for(pred, secs):
            end = time.time() + secs
            p = page()
            while not pred(p) and time.time() < end:
                time.sleep(0.2)
                p = page()
            return p

        first = wait_for(lambda p: p["frames"] >= 1 and p["state"] == "paused", 20)
        elem = call(base, "POST", s + "/element", {"using": "css selector", "value": "#token"})
        eid = list(elem.values())[0]
        call(base, "POST", f"{s}/element/{eid}/value", {"text": token})
        btn = call(base, "POST", s + "/element", {"using": "css selector", "value": "#resume"})
        call(base, "POST", f"{s}/element/{list(btn.values())[0]}/click", {})
        final = wait_for(lambda p: p["state"] in ("finished", "stopped", "failed"), 60)
        call(base, "POST", s + "/execute/sync", {"script": "window.scrollTo(0, 0);", "args": []})
        time.sleep(0.3)  # let the canvases of the final frame paint
        png = base64.b64decode(call(base, "GET", s + "/screenshot"))
        with open(shot, "wb") as f:
            f.write(png)
        logs = call(base, "POST", s + "/se/log", {"type": "browser"})
        print(json.dumps({"first": first, "final": final, "console": logs}))
    finally:
        if sid:
            try:
                call(base, "DELETE", f"/session/{sid}")
            except OSError:
                pass
        drv.terminate()
        drv.wait(10)


if __name__ == "__main__":
    main()
