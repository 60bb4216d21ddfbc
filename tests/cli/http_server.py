#!/usr/bin/env python3
"""http_server.py DIR ENDPOINT: a real HTTP server (the standard library's)
serving the files in DIR on ENDPOINT, which is "tcp" (127.0.0.1, a port the
kernel picks) or "unix:PATH".  Prints "listening on 127.0.0.1:PORT" or
"listening on unix:PATH" on stderr once it accepts connections."""
import functools
import http.server
import socketserver
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def address_string(self):
        # A Unix-socket client has no address to log.
        return str(self.client_address or "unix")


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    directory, endpoint = sys.argv[1], sys.argv[2]
    handler = functools.partial(Handler, directory=directory)
    if endpoint.startswith("unix:"):
        server = UnixServer(endpoint[len("unix:"):], handler)
        shown = endpoint
    else:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        shown = "127.0.0.1:%d" % server.server_address[1]
    print("listening on " + shown, file=sys.stderr, flush=True)
    server.serve_forever()


main()
