#!/usr/bin/env python3
"""http-client.py MODE ADDR PORT ... - HTTP clients the router tests need and curl
is not: raw bytes, slow senders, a websocket, many connections, request loops.
Only ever connects to ADDR:PORT (the test's router on loopback)."""
import http.client
import os
import socket
import sys
import time


def connect(addr, port):
    return socket.create_connection((addr, port), timeout=10)


def read_all(s, timeout=10.0):
    s.settimeout(timeout)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def raw(addr, port, *args):
    """Send stdin as it is; print everything that comes back until close."""
    data = sys.stdin.buffer.read()
    s = connect(addr, port)
    s.sendall(data)
    t = time.monotonic()
    out = read_all(s)
    sys.stdout.buffer.write(out)
    sys.stderr.write("elapsed %.1f\n" % (time.monotonic() - t))


def slowhead(addr, port, vhost, interval):
    """Send a head one byte at a time; print the status line and the time it came."""
    head = ("GET / HTTP/1.1\r\nHost: %s\r\nX-Slow: " % vhost).encode() + b"a" * 200 + b"\r\n\r\n"
    s = connect(addr, port)
    t = time.monotonic()
    s.settimeout(float(interval))
    got = b""
    for i in range(len(head)):
        try:
            s.send(head[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            break
        try:
            got = s.recv(4096)  # an answer, or b"" when closed: either ends the head
            break
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
    got += read_all(s, 5)
    print(got.split(b"\r\n")[0].decode(errors="replace"))
    print("elapsed %.1f" % (time.monotonic() - t))


def slowbody(addr, port, vhost):
    """Announce 100 body bytes, send 10, then nothing."""
    s = connect(addr, port)
    s.sendall(("POST /echo HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n\r\n" % vhost).encode()
              + b"0123456789")
    t = time.monotonic()
    got = read_all(s, 15)
    print(got.split(b"\r\n")[0].decode(errors="replace"))
    print("elapsed %.1f" % (time.monotonic() - t))


def inflight(addr, port, vhost, gofile):
    """Start a POST, wait until gofile exists, finish it; print status, backend, body."""
    s = connect(addr, port)
    s.sendall(("POST /echo HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\n\r\nhe" % vhost).encode())
    print("started", flush=True)
    while not os.path.exists(gofile):
        time.sleep(0.05)
    s.sendall(b"llo")
    s.settimeout(10)
    got = b""
    while b"\r\n\r\n" not in got or not got.endswith(b"hello"):
        b = s.recv(4096)
        if not b:
            break
        got += b
    lines = got.decode(errors="replace").split("\r\n")
    print(lines[0])
    print("\n".join(l for l in lines if l.lower().startswith("x-backend")))
    print(lines[-1])


def ws(addr, port, vhost):
    """Websocket handshake, one masked text frame, read the echo."""
    s = connect(addr, port)
    s.sendall(("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % vhost).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1)
        if not b:
            break
        head += b
    print(head.split(b"\r\n")[0].decode())
    payload = b"hello through the router"
    mask = b"\x01\x02\x03\x04"
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(
        p ^ mask[i % 4] for i, p in enumerate(payload))
    s.sendall(frame)
    echo = b""
    s.settimeout(5)
    while len(echo) < len(frame):
        b = s.recv(4096)
        if not b:
            break
        echo += b
    data = echo[6:6 + len(payload)]
    print(bytes(d ^ mask[i % 4] for i, d in enumerate(data)).decode(errors="replace"))


def maxconns(addr, port, vhost, n):
    """Hold n connections with half a head each, then ask on one more."""
    held = []
    for _ in range(int(n)):
        s = connect(addr, port)
        s.sendall(b"GET / HTTP/1.1\r\n")
        held.append(s)
    s = connect(addr, port)
    s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % vhost).encode())
    print(read_all(s, 5).split(b"\r\n")[0].decode(errors="replace"))
    for h in held:
        h.close()


def loop(addr, port, vhost, stopfile, fresh="keepalive"):
    """Requests until stopfile exists (then 50 more); print counts and bodies seen."""
    ok = failed = refused = 0
    bodies = {}
    conn = None
    after_stop = 0
    errors = []
    while after_stop < 50:
        if os.path.exists(stopfile):
            after_stop += 1
        try:
            if conn is None or fresh == "fresh":
                conn = http.client.HTTPConnection(addr, int(port), timeout=10)
            conn.request("GET", "/", headers={"Host": vhost})
            r = conn.getresponse()
            body = r.read().decode().strip()
            if r.status == 200:
                ok += 1
                bodies[body] = bodies.get(body, 0) + 1
            else:
                failed += 1
                errors.append("status %d" % r.status)
            if fresh == "fresh" or r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except ConnectionRefusedError:
            refused += 1
            conn = None
        except Exception as e:  # noqa: BLE001 - every failure is counted
            failed += 1
            errors.append(type(e).__name__)
            conn = None
    print("ok=%d failed=%d refused=%d" % (ok, failed, refused))
    print("bodies=" + ",".join("%s:%d" % kv for kv in sorted(bodies.items())))
    if errors:
        print("errors=" + ",".join(errors[:10]))


MODES = {"raw": raw, "inflight": inflight, "slowhead": slowhead, "slowbody": slowbody, "ws": ws,
         "maxconns": maxconns, "loop": loop}

if __name__ == "__main__":
    MODES[sys.argv[1]](sys.argv[2], int(sys.argv[3]), *sys.argv[4:])
