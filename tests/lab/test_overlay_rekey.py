"""Lab: rekeys under traffic lose nothing (issue 13). wansteer in ws-edge with policies/office-overlay.yaml and
`overlay: rekey_after_s: 6` (a lab knob: WireGuard waits 120 s), the wireguard-go hub in ws-hub. A 100 packets/s UDP
flow from ws-office to an internet host through the overlay, echoed back through it, runs for 25 s: the session
rekeys at least three times meanwhile, and neither direction loses a datagram (packets sealed before a rekey open
with the previous keypair; the new one is in the workers' snapshot before the hub can use it). Then a message the hub
sent is captured and sent again: the exact copy is discarded as a duplicate (counted, not a drop), one with a byte
changed is dropped as overlay_bad_tag."""
import json
import subprocess
from pathlib import Path

from overlay_hub import HUB_ADDRESS, HUB_PORT
from test_overlay_lab import M365, hub, lab_policy as overlay_lab_policy, ns  # noqa: F401 (hub: the fixture)

REPO = Path(__file__).resolve().parents[2]
UDPECHO = REPO / "scripts" / "lib" / "udpecho.py"
REKEY_AFTER_S = 6
RATE, SECONDS = 100, 25
PORT = 9100  # M365 at a port outside voip's range: class m365, overlay via fiber, not duplicated
# Every overlay drop that a rekey done wrong would cause: an unknown receiver index (a keypair not yet or no longer
# in the workers' view), a bad tag, a counter behind the window, no send key.
REKEY_DROPS = ("overlay_unknown_index", "overlay_bad_tag", "overlay_replayed", "overlay_no_key",
               "overlay_key_exhausted")


def lab_policy(workdir):
    """test_overlay_lab's policy with keys renewed every REKEY_AFTER_S seconds."""
    path = overlay_lab_policy(workdir)
    text = path.read_text()
    assert text.count("  mtu: 1420") == 1
    path.write_text(text.replace("  mtu: 1420", f"  mtu: 1420\n  rekey_after_s: {REKEY_AFTER_S}", 1))
    return path


def overlay_state(lab):
    ov = lab.ws.ctl("show", "overlay")
    return ov["counters"], ov["drops"]


def test_rekeys_under_traffic_lose_nothing_either_way(lab, hub):
    counters, drops = overlay_state(lab)
    rekeys_before = counters["rekeys"]
    seqs = lab.workdir / "rekey-echo-server.txt"
    server = subprocess.Popen(["ip", "netns", "exec", "ws-inet", "/usr/bin/python3", str(UDPECHO), "server", M365,
                               str(PORT), str(seqs)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        client = subprocess.run(["ip", "netns", "exec", "ws-office", "/usr/bin/python3", str(UDPECHO), "client", M365,
                                 str(PORT), str(RATE), str(SECONDS)], capture_output=True, text=True,
                                timeout=SECONDS + 60)
        assert client.returncode == 0, client.stderr
        result = json.loads(client.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(5)
    # The rekeys happened while the flow ran (the handshakes are over by now; the wait only absorbs a slow sample).
    lab.tools.wait_for(lambda: overlay_state(lab)[0]["rekeys"] >= rekeys_before + 3, timeout=15,
                       what=f"3 rekeys in {SECONDS} s at rekey_after_s {REKEY_AFTER_S}")
    after, drops_after = overlay_state(lab)
    got = [int(line) for line in seqs.read_text().split()]
    sent = RATE * SECONDS
    out_lost = sent - len(set(got))
    print(f"rekey: {after['rekeys'] - rekeys_before} rekeys in {SECONDS} s; sent {sent}, lost outbound {out_lost}, "
          f"lost on the way back {sent - result['echoed'] - out_lost}; {result}")
    assert result["sent"] == sent
    assert out_lost == 0, f"{out_lost} datagrams lost on the way to the internet host"
    assert len(got) == len(set(got)), "the internet host got a datagram twice"
    assert result["echoed"] == sent, f"echoes missing: {result['missing_echoes']}"
    assert after["keys_expired"] == counters["keys_expired"], "a keypair expired: REJECT_AFTER_TIME shrank with it?"
    moved = {r: drops_after[r] - drops[r] for r in REKEY_DROPS if drops_after[r] != drops[r]}
    assert not moved, f"overlay drops during the rekeys: {moved}"


# Prints the first transport data message (hex) the hub sends to our fiber address, as ws-inet forwards it.
SNIFF = f"""
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("isp1", 0))
s.settimeout(20)
print("ready", flush=True)
while True:
    f = s.recv(4096)
    ip = f[14:]
    if f[12:14] != b"\\x08\\x00" or ip[9] != 17 or socket.inet_ntoa(ip[12:16]) != "{HUB_ADDRESS}":
        continue
    udp = ip[(ip[0] & 15) * 4:]
    msg = udp[8:struct.unpack("!H", udp[4:6])[0]]
    if socket.inet_ntoa(ip[16:20]) == "100.64.1.2" and udp[:2] == struct.pack("!H", {HUB_PORT}) and msg[:1] == b"\\x04" \\
            and len(msg) > 32:
        print(msg.hex(), flush=True)
        break
"""


def capture_from_hub(lab):
    """One transport message with data from the hub to us (an echo of a short flow through the overlay)."""
    sniff = subprocess.Popen(["ip", "netns", "exec", "ws-inet", "/usr/bin/python3", "-c", SNIFF],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    server = subprocess.Popen(["ip", "netns", "exec", "ws-inet", "/usr/bin/python3", str(UDPECHO), "server", M365,
                               str(PORT + 1), str(lab.workdir / "capture-echo.txt")], stdout=subprocess.PIPE, text=True)
    try:
        assert sniff.stdout.readline().strip() == "ready"
        assert server.stdout.readline().strip() == "ready"
        ns("ws-office", "/usr/bin/python3", str(UDPECHO), "client", M365, str(PORT + 1), "20", "1", timeout=30)
        out, err = sniff.communicate(timeout=30)
        assert sniff.returncode == 0, err
        return bytes.fromhex(out.strip().splitlines()[-1])
    finally:
        sniff.kill()
        server.terminate()
        server.wait(5)


def send_as_hub(messages):
    """Datagrams from the hub's address and port (ws-inet holds that address for the moment) to our fiber address."""
    script = ("import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
              f"s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(('{HUB_ADDRESS}',{HUB_PORT}));"
              f"[s.sendto(bytes.fromhex(m),('100.64.1.2',{HUB_PORT})) for m in {[m.hex() for m in messages]!r}]")
    ns("ws-inet", "ip", "addr", "add", f"{HUB_ADDRESS}/32", "dev", "lo")
    try:
        r = ns("ws-inet", "/usr/bin/python3", "-c", script)
        assert r.returncode == 0, r.stderr
    finally:
        ns("ws-inet", "ip", "addr", "del", f"{HUB_ADDRESS}/32", "dev", "lo")


def test_a_copy_of_a_hub_message_is_a_duplicate_and_a_tampered_one_a_bad_tag(lab, hub):
    msg = capture_from_hub(lab)
    tampered = bytearray(msg)
    tampered[-20] ^= 1  # a ciphertext byte: same receiver index and counter, the tag no longer verifies
    counters, drops = overlay_state(lab)
    send_as_hub([bytes(tampered), msg])  # the tampered one first: it must not take the counter from the copy
    lab.tools.wait_for(lambda: overlay_state(lab)[1]["overlay_bad_tag"] >= drops["overlay_bad_tag"] + 1, timeout=10,
                       what="the tampered message counted as overlay_bad_tag")
    # One worker in the lab: the copy reaches the core whose window took the original.
    lab.tools.wait_for(lambda: overlay_state(lab)[0]["duplicates_discarded"] >= counters["duplicates_discarded"] + 1,
                       timeout=10, what="the copy counted in duplicates_discarded")
    after, drops_after = overlay_state(lab)
    assert drops_after["overlay_replayed"] == drops["overlay_replayed"], "a copy inside the window counted as a replay"
    assert lab.counters()["overlay"]["duplicates_discarded"] == after["duplicates_discarded"]
