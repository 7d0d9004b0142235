"""A small FastCGI client: one request per connection, as nginx sends them.

Tests that flood the workers use it to reach them without nginx in between,
so what they measure is intake's own defence, not a limit in the nginx site.
"""

import socket
import struct

VERSION = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7
RESPONDER = 1


def _record(rtype, content, request_id=1):
    return struct.pack(">BBHHBB", VERSION, rtype, request_id, len(content), 0, 0) + content


def _length(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def _params(env):
    out = b""
    for k, v in env.items():
        k, v = k.encode(), v.encode()
        out += _length(len(k)) + _length(len(v)) + k + v
    return out


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("FastCGI connection closed mid-record")
        buf += chunk
    return buf


def request(sock_path, path, query="", method="GET", headers=None, timeout=60):
    """(status, {header: value}, body text) of one request to a FastCGI socket."""
    env = {"REQUEST_METHOD": method, "QUERY_STRING": query, "DOCUMENT_URI": path,
           "REQUEST_URI": path + ("?" + query if query else ""), "SCRIPT_NAME": path,
           "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1",
           "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
           "CONTENT_LENGTH": "0"}
    for k, v in (headers or {}).items():
        env["HTTP_" + k.upper().replace("-", "_")] = v
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        params = _params(env)
        msg = _record(BEGIN_REQUEST, struct.pack(">HB5x", RESPONDER, 0))
        for i in range(0, len(params), 65535):
            msg += _record(PARAMS, params[i:i + 65535])
        msg += _record(PARAMS, b"") + _record(STDIN, b"")
        s.sendall(msg)
        out = b""
        while True:
            _, rtype, _, clen, plen, _ = struct.unpack(">BBHHBB", _recv_exact(s, 8))
            content = _recv_exact(s, clen + plen)[:clen]
            if rtype == STDOUT:
                out += content
            elif rtype == END_REQUEST:
                break
    head, _, body = out.partition(b"\r\n\r\n")
    status, hdrs = 200, {}
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        elif name:
            hdrs[name.strip()] = value.strip()
    return status, hdrs, body.decode("utf-8", "replace")
