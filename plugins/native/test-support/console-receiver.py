# TEST SUPPORT: the manager's side of runc's --console-socket protocol (Node cannot receive
# SCM_RIGHTS). Listens on argv[1], accepts one connection, receives the pty master, then copies
# what the container writes to its terminal into a JSON report on stdout.
import json, os, select, socket, sys

path = sys.argv[1]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
print("listening", flush=True)
conn, _ = server.accept()
name, fds, _, _ = socket.recv_fds(conn, 1024, 1)
master = fds[0]
output = b""
while True:
    ready, _, _ = select.select([master], [], [], 20)
    if not ready:
        break
    try:
        chunk = os.read(master, 4096)
    except OSError:  # EIO: the container closed its side
        break
    if not chunk:
        break
    output += chunk
print(json.dumps({"name": name.decode(), "fds": len(fds), "output": output.decode(errors="replace")}), flush=True)
