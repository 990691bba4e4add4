#!/usr/bin/env bash
# Small traffic tools for the lab, run inside a namespace (ip netns exec NS labtool.sh ...):
#   tagger LAN_IF TRUNK_IF VID   carry LAN_IF (untagged access port) over TRUNK_IF as VLAN VID
#                                (this kernel has neither 802.1Q nor bridge VLAN filtering)
#   sink LOGFILE                 UDP/TCP echo servers on the internet addresses; one JSON line per
#                                flow seen in LOGFILE (source address tells which ISP carried it)
#   send SPEC...                 send tagged UDP datagrams / TCP connections and wait for the echo;
#                                SPEC = tag,udp|tcp,dst,dport[,tos]; one JSON result line per SPEC
# Python (Debian's /usr/bin/python3), kept in a .sh so the lab's helpers live in one place.
exec /usr/bin/python3 - "$@" <<'PY'
import json, os, select, socket, struct, sys, threading, time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
PACKET_OUTGOING = 4

def tagger(lan_if, trunk_if, vid):
    vid = int(vid)
    def open_if(name):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        return s
    lan, trunk = open_if(lan_if), open_if(trunk_if)
    tag = struct.pack("!HH", 0x8100, vid & 0xfff)
    print(f"tagger: {lan_if} <-> {trunk_if} vlan {vid}", flush=True)
    while True:
        ready, _, _ = select.select([lan, trunk], [], [])
        for s in ready:
            data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(20))
            if addr[2] == PACKET_OUTGOING:
                continue
            tci = None
            for level, typ, cdata in anc:
                if level == SOL_PACKET and typ == PACKET_AUXDATA and len(cdata) >= 20:
                    status, _, _, _, _, vtci, _ = struct.unpack("IIIHHHH", cdata[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        tci = vtci
            if s is lan:
                if tci is None:
                    trunk.send(data[:12] + tag + data[12:])
            else:
                if tci is not None:
                    if tci & 0xfff == vid:
                        lan.send(data)
                elif len(data) >= 18 and data[12:14] == b"\x81\x00" and \
                        struct.unpack("!H", data[14:16])[0] & 0xfff == vid:
                    lan.send(data[:12] + data[16:])

SERVERS = ["203.0.113.10", "198.51.100.10", "198.51.100.20", "52.112.0.10"]
UDP_PORTS = [5060, 5061, 16384, 20000, 3478, 8080]
TCP_PORTS = [5060, 443, 8080]

def sink(logfile):
    log = open(logfile, "a", buffering=1)
    lock = threading.Lock()
    def record(proto, src, dst, payload):
        tag = payload.decode(errors="replace").strip()
        line = json.dumps({"proto": proto, "src": src[0], "sport": src[1],
                           "dst": dst[0], "dport": dst[1], "tag": tag, "t": time.time()})
        with lock:
            log.write(line + "\n")
    socks = {}
    for a in SERVERS:
        for p in UDP_PORTS:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((a, p))
            socks[s] = ("udp", (a, p))
        for p in TCP_PORTS:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((a, p))
            s.listen(64)
            socks[s] = ("tcp", (a, p))
    def serve_tcp(conn, peer, local):
        conn.settimeout(3)
        buf = b""
        try:
            while b"\n" not in buf:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                buf += chunk
            record("tcp", peer, local, buf)
            conn.sendall(buf)
        except OSError:
            pass
        finally:
            conn.close()
    print("sink: ready", flush=True)
    while True:
        ready, _, _ = select.select(list(socks), [], [])
        for s in ready:
            proto, local = socks[s]
            if proto == "udp":
                data, peer = s.recvfrom(65535)
                record("udp", peer, local, data)
                s.sendto(data, peer)
            else:
                conn, peer = s.accept()
                threading.Thread(target=serve_tcp, args=(conn, peer, local), daemon=True).start()

def send(*specs):
    timeout = float(os.environ.get("LAB_TIMEOUT", "2.0"))
    results = [None] * len(specs)
    def one(i, spec):
        f = spec.split(",")
        tag, proto, dst, dport = f[0], f[1], f[2], int(f[3])
        tos = int(f[4], 0) if len(f) > 4 else 0
        res = {"tag": tag, "proto": proto, "dst": dst, "dport": dport, "ok": False}
        t0 = time.monotonic()
        try:
            if proto == "udp":
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                if tos:
                    s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
                s.settimeout(0.25)
                msg = (tag + "\n").encode()
                while time.monotonic() - t0 < timeout and not res["ok"]:
                    s.sendto(msg, (dst, dport))
                    try:
                        data, _ = s.recvfrom(65535)
                        res["ok"] = data == msg
                    except socket.timeout:
                        pass
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                if tos:
                    s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
                s.settimeout(timeout)
                s.connect((dst, dport))
                msg = (tag + "\n").encode()
                s.sendall(msg)
                buf = b""
                while len(buf) < len(msg):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
                res["ok"] = buf == msg
            s.close()
        except OSError as e:
            res["error"] = str(e) or type(e).__name__
        if not res["ok"] and "error" not in res:
            res["error"] = "no echo"
        res["ms"] = round((time.monotonic() - t0) * 1000, 1)
        results[i] = res
    threads = [threading.Thread(target=one, args=(i, s), daemon=True) for i, s in enumerate(specs)]
    for t in threads: t.start()
    for t in threads: t.join()
    for r in results:
        print(json.dumps(r), flush=True)

cmds = {"tagger": tagger, "sink": sink, "send": send}
if len(sys.argv) < 2 or sys.argv[1] not in cmds:
    sys.exit("usage: labtool.sh tagger LAN_IF TRUNK_IF VID | sink LOGFILE | send SPEC...")
try:
    cmds[sys.argv[1]](*sys.argv[2:])
except KeyboardInterrupt:
    # Ctrl-C: die by SIGINT, quietly, so the calling shell sees the interrupt and cleans up
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
PY
