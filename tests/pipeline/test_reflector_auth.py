"""wansteer-reflector in RFC 8762 authenticated mode, the real binary on 127.0.0.1 with a key file, driven from
Python's own hmac module over loopback: an authenticated test packet gets an authenticated reply whose HMAC
verifies; unauthenticated and bad-HMAC packets get none (and are counted); a key file every user can read, or a
short key, stops the reflector at start with a message naming the file."""
import hashlib
import hmac
import os
import re
import select
import signal
import socket
import struct
import subprocess
from pathlib import Path

import pytest

from test_pipeline import binary

REPLY_TIMEOUT_S = 10.0  # loopback answers in microseconds; the margin is for a busy CI machine
SENDER_AUTH = struct.Struct("!I12xQH70x")  # RFC 8762 4.2.2: seq, MBZ, timestamp, error estimate, MBZ (HMAC after)
REFLECTOR_AUTH = struct.Struct("!I12xQH6xQ8xI12xQH6xB15x")  # 4.3.2, up to the HMAC at octet 96


def seal(key: bytes, body: bytes) -> bytes:
    assert len(body) == 96
    return body + hmac.new(key, body, hashlib.sha256).digest()[:16]


def sender_packet(key: bytes, seq: int, timestamp: int = 0x1122334455667788) -> bytes:
    return seal(key, SENDER_AUTH.pack(seq, timestamp, 0x0001))


def write_key(tmp_path, key: bytes, mode: int = 0o600):
    path = tmp_path / "stamp.key"
    path.write_text(key.hex() + "\n")
    os.chmod(path, mode)
    return path


class Reflector:
    """The reflector process, its UDP port (read from its first line) and a client socket."""

    def __init__(self, key_path):
        self.proc = subprocess.Popen(
            [binary("wansteer-reflector"), "--listen", "127.0.0.1", "--port", "0", "--allow", "127.0.0.1",
             "--auth-key-file", str(key_path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        assert m, f"no listening line: {line!r} {self.proc.stderr.read() if self.proc.poll() is not None else ''}"
        self.addr = ("127.0.0.1", int(m.group(1)))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))

    def send(self, data: bytes):
        self.sock.sendto(data, self.addr)

    def receive(self) -> bytes:
        ready, _, _ = select.select([self.sock], [], [], REPLY_TIMEOUT_S)
        assert ready, f"no reply within {REPLY_TIMEOUT_S} s"
        data, _ = self.sock.recvfrom(2048)
        return data

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=10)
        self.sock.close()
        assert self.proc.returncode == 0
        return out.strip().splitlines()[-1]

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def key():
    return os.urandom(32)


def test_authenticated_packet_gets_authenticated_reply(tmp_path, key):
    r = Reflector(write_key(tmp_path, key))
    try:
        r.send(sender_packet(key, seq=7))
        reply = r.receive()
        assert len(reply) == 112
        assert hmac.compare_digest(reply[96:], hmac.new(key, reply[:96], hashlib.sha256).digest()[:16])
        (seq, _tx, _err, _rx, s_seq, s_ts, s_err, ttl) = REFLECTOR_AUTH.unpack(reply[:96])
        assert (seq, s_seq, s_ts, s_err) == (0, 7, 0x1122334455667788, 0x0001)
        assert ttl == int(Path("/proc/sys/net/ipv4/ip_default_ttl").read_text())  # our TTL, as the reflector saw it
        assert reply[:96] == REFLECTOR_AUTH.pack(*REFLECTOR_AUTH.unpack(reply[:96]))  # every MBZ octet zero
    finally:
        summary = r.stop()
    assert "reflected=1" in summary and "unauthenticated=0 bad_hmac=0" in summary, summary


def test_unauthenticated_and_bad_hmac_packets_get_no_reply(tmp_path, key):
    r = Reflector(write_key(tmp_path, key))
    try:
        r.send(struct.pack("!IQH30x", 1, 0x1122334455667788, 1))      # an unauthenticated 44-byte packet
        r.send(sender_packet(key, seq=2) + b"\0" * 8)                 # authenticated, but 120 bytes
        forged = bytearray(sender_packet(key, seq=3))
        forged[3] ^= 0x01                                             # seq changed after sealing
        r.send(bytes(forged))
        r.send(sender_packet(os.urandom(32), seq=4))                  # sealed with another key
        # Loopback keeps the order: the reply to this last valid packet comes after any reply to those above.
        r.send(sender_packet(key, seq=5))
        reply = r.receive()
        assert len(reply) == 112 and REFLECTOR_AUTH.unpack(reply[:96])[4] == 5, "a refused packet was answered"
        r.sock.setblocking(False)
        with pytest.raises(BlockingIOError):
            r.sock.recvfrom(2048)
    finally:
        summary = r.stop()
    assert re.search(r"received=5 reflected=1 .* unauthenticated=2 bad_hmac=2$", summary), summary


@pytest.mark.parametrize("mode,key,why", [
    (0o644, os.urandom(32), "every user"),
    (0o600, os.urandom(15), "at least 16"),
])
def test_bad_key_file_stops_the_reflector(tmp_path, mode, key, why):
    path = write_key(tmp_path, key, mode)
    proc = subprocess.run([binary("wansteer-reflector"), "--listen", "127.0.0.1", "--port", "0",
                           "--auth-key-file", str(path)], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2
    assert why in proc.stderr and str(path) in proc.stderr, proc.stderr
