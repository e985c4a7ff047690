# TEST SUPPORT: the agent's side of the runtime-spec seccomp listener (Node cannot receive
# SCM_RIGHTS). Listens on argv[1], accepts one connection, receives the container process state
# and the notify fd, and reports both (and what the fd is) as JSON on stdout.
import json, os, socket, sys

server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1])
server.listen(1)
print("listening", flush=True)
conn, _ = server.accept()
data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
rest = conn.recv(1)  # the runtime closes the connection after one message
print(json.dumps({"state": json.loads(data), "fds": len(fds), "fd": os.readlink(f"/proc/self/fd/{fds[0]}") if fds else None, "closed": rest == b""}), flush=True)
