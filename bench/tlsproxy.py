#!/usr/bin/env python3
"""A TCP proxy that adds latency: every chunk read in either direction is
written on DELAY ms later (order kept), so a round trip through it costs
2 x DELAY ms more, as a WAN link to a cloud tenant would.  It does not look
into the bytes (TLS passes through end to end) and counts the connections
it carried.

    bench/tlsproxy.py LISTEN_PORT TARGET_PORT [DELAY_MS]   # 0: a free port

Prints "tlsproxy listening on 127.0.0.1:PORT", then serves until SIGTERM or
SIGINT.  bench/bench_tls.py imports LatencyProxy and runs it in a thread.
"""

import asyncio
import signal
import sys
import threading
import time


class LatencyProxy:
    """127.0.0.1:port -> 127.0.0.1:target, each chunk delayed by delay_ms."""

    def __init__(self, target, delay_ms, port=0):
        self.target, self.delay = target, delay_ms / 1000.0
        self.port = port
        self.connections = 0          # accepted so far
        self.server = None

    async def start(self):
        self.server = await asyncio.start_server(self.accepted, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def accepted(self, creader, cwriter):
        self.connections += 1
        try:
            ureader, uwriter = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(self.pipe(creader, uwriter), self.pipe(ureader, cwriter))

    async def pipe(self, reader, writer):
        """Copy reader to writer, each chunk DELAY later than it was read.  A
        queue keeps the order; the reader does not wait for the delay."""
        queue = asyncio.Queue()

        async def later():
            while True:
                due, chunk = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if chunk is None:
                    break
                writer.write(chunk)
                try:
                    await writer.drain()
                except OSError:
                    break
            try:
                if writer.can_write_eof():
                    writer.write_eof()       # half-close, as the sender did
                else:
                    writer.close()
            except OSError:
                pass

        sender = asyncio.ensure_future(later())
        try:
            while True:
                chunk = await reader.read(65536)
                queue.put_nowait((time.monotonic() + self.delay, chunk or None))
                if not chunk:
                    break
        except OSError:
            queue.put_nowait((time.monotonic() + self.delay, None))
        await sender


def start_in_thread(target, delay_ms):
    """A LatencyProxy serving from a daemon thread's own event loop."""
    proxy = LatencyProxy(target, delay_ms)
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(proxy.start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True, name="tlsproxy").start()
    if not ready.wait(10):
        raise RuntimeError("tlsproxy did not start")
    return proxy


def main(argv):
    if len(argv) not in (3, 4) or not all(a.isdigit() for a in argv[1:]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    proxy = LatencyProxy(int(argv[2]), int(argv[3]) if len(argv) == 4 else 10, int(argv[1]))
    loop = asyncio.new_event_loop()
    loop.run_until_complete(proxy.start())
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    print("tlsproxy listening on 127.0.0.1:%d" % proxy.port, flush=True)
    loop.run_forever()
    print("tlsproxy: %d connections" % proxy.connections, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
