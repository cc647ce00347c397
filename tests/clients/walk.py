"""What the client scripts share: a step that must hold, said as it passes,
and a consumer the camera can push notifications to."""

import http.server
import queue
import sys
import threading


def check(what, cond):
    if not cond:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def consumer(path):
    """An HTTP server on loopback taking POSTs (a webhook, a notification
    consumer): its address with `path`, and a queue of the bodies posted."""
    bodies = queue.Queue()

    class Consumer(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.put(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Consumer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}{path}", bodies
