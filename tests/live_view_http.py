#!/usr/bin/python3
"""Raw-socket checks of the live view's HTTP handling (tests/e2e_live_view.sh).

usage: live_view_http.py status PORT TOKEN      malformed/unknown/oversized requests and
                                                controls get their status codes
       live_view_http.py viewers PORT TOKEN N   N concurrent /events readers all receive
                                                frames and the final one (the run was paused
                                                by the caller; this resumes it once all N
                                                are connected)
Prints one line per failure and exits 1 when any.
"""
import json
import socket
import sys
import threading
import time


def raw(port, data, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        buf = b""
        while b"\r\n\r\n" not in buf:
            got = s.recv(65536)
            if not got:
                break
            buf += got
        return buf
    except (ConnectionResetError, BrokenPipeError):
        return buf if 'buf' in dir() else b""
    finally:
        s.close()


def status(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def req(port, method, path, headers=None, body=b"", host=None):
    h = {"Host": host or f"127.0.0.1:{port}"}
    h.update(headers or {})
    if body:
        h["Content-Length"] = str(len(body))
    text = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
    return raw(port, text.encode() + b"Connection: close\r\n\r\n" + body)


def check_status(port, token):
    bad = []

    def expect(name, resp, want, header=None):
        got = status(resp)
        ok = got == want if isinstance(want, int) else got in want
        if ok and header and header.lower() not in resp.lower():
            ok = False
        if not ok:
            bad.append(f"{name}: status {got} (want {want}{', header ' + header if header else ''})"
                       f" {resp[:120]!r}")

    expect("GET /", req(port, "GET", "/"), 200, b"content-security-policy: default-src 'self'")
    expect("GET /live.js", req(port, "GET", "/live.js"), 200, b"text/javascript")
    expect("HEAD /live.css", req(port, "HEAD", "/live.css"), 200)
    expect("GET /api/state", req(port, "GET", "/api/state"), 200, b"application/json")
    expect("unknown path", req(port, "GET", "/etc/passwd"), 404)
    expect("path traversal", req(port, "GET", "/../../etc/passwd"), 404)
    expect("POST /events", req(port, "POST", "/events"), 405, b"allow: GET, HEAD")
    expect("GET /api/pause", req(port, "GET", "/api/pause"), 405, b"allow: POST")
    expect("PUT /", req(port, "PUT", "/"), 405)
    expect("pause without token", req(port, "POST", "/api/pause"), 401)
    expect("pause, wrong token", req(port, "POST", "/api/pause", {"X-Isactb-Token": "0" * 32}), 403)
    expect("pause, token prefix", req(port, "POST", "/api/pause",
                                      {"X-Isactb-Token": token[:-1]}), 403)
    expect("pause, bearer", req(port, "POST", "/api/pause",
                                {"Authorization": f"Bearer {token}"}), 200, b'"paused":true')
    expect("resume", req(port, "POST", "/api/resume", {"X-Isactb-Token": token}), 200,
           b'"paused":false')
    expect("body too large", req(port, "POST", "/api/resume", {"X-Isactb-Token": token},
                                 body=b"x" * 10000), 413)
    expect("foreign Host", req(port, "GET", "/", host="evil.example:80"), 421)
    # libmicrohttpd 0.9.75 lets a missing Host through; the loopback Host check refuses it
    expect("no Host (HTTP/1.1)", raw(port, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"),
           (400, 421))
    # a request line that is not HTTP at all: libmicrohttpd closes without a response
    expect("garbage request line", raw(port, b"BLAH\r\n\r\n"), (0, 400))
    expect("unknown method", req(port, "BREW", "/"), 405)
    expect("bad version", raw(port, b"GET / HTTP/9.9\r\nHost: x\r\n\r\n"), (400, 505))
    expect("oversized header", req(port, "GET", "/", {"X-Big": "a" * 40000}), 431)
    expect("many headers", req(port, "GET", "/", {f"X-H{i}": "v" * 50 for i in range(600)}),
           431)
    expect("binary junk", raw(port, bytes(range(256)) * 4 + b"\r\n\r\n"), (0, 400))
    expect("still serving", req(port, "GET", "/"), 200)
    for line in bad:
        print("FAIL:", line)
    return 1 if bad else 0


def viewer(port, out, stop):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    buf = b""
    out["connected"] = True
    try:
        while not stop.is_set():
            got = s.recv(65536)
            if not got:
                break
            buf += got
            if b'"state":"finished"' in buf:
                break
    except socket.timeout:
        pass
    s.close()
    out["frames"] = buf.count(b"event: frame")
    out["final"] = b'"state":"finished"' in buf


def check_viewers(port, token, n):
    outs = [{} for _ in range(n)]
    stop = threading.Event()
    th = [threading.Thread(target=viewer, args=(port, o, stop)) for o in outs]
    for t in th:
        t.start()
    time.sleep(0.5)
    st = status(req(port, "POST", "/api/resume", {"X-Isactb-Token": token}))
    for t in th:
        t.join(60)
    stop.set()
    bad = [f"viewer {i}: {o}" for i, o in enumerate(outs) if o.get("frames", 0) < 3 or not o.get("final")]
    if st != 200:
        bad.append(f"resume: status {st}")
    for line in bad:
        print("FAIL:", line)
    print(json.dumps({"frames": [o.get("frames", 0) for o in outs]}))
    return 1 if bad else 0


if __name__ == "__main__":
    mode, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "status":
        sys.exit(check_status(port, token))
    sys.exit(check_viewers(port, token, int(sys.argv[4])))
