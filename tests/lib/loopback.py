"""The tests' HTTP stand-ins (the AWS simulator, the fault proxy, the AWS,
identity and stalled stubs) listen the same way: on a free loopback port,
written to a file once they listen (tests/lib/loopback.sh waits for it)."""
import os
from http.server import ThreadingHTTPServer


def publish(port_file, text):
    """Writes text (the port, or ports) to port_file atomically."""
    with open(port_file + ".tmp", "w") as f:
        f.write(text)
    os.rename(port_file + ".tmp", port_file)


def serve_server(server, port_file):
    """Publishes a bound server's port and serves it until interrupted."""
    publish(port_file, str(server.server_address[1]))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def serve(handler, port_file, wrap_socket=None):
    """Serves `handler` on 127.0.0.1 until interrupted; the port goes to
    port_file. wrap_socket(sock) may return a TLS socket."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if wrap_socket is not None:
        server.socket = wrap_socket(server.socket)
    serve_server(server, port_file)
