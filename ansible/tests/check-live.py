#!/usr/bin/env python3
"""The deployed instance's live parts, through nginx over TLS, as a browser reaches them.

Run by ansible/tests/test-deploy (with the test's Python environment, which has `websockets`
and `aioice`) once Maille, nginx and coturn run inside the test root:

- pads: a pad made through the API, its WebSocket /ws/pads/<id> upgraded (101) and the
  server's first y-websocket sync message received;
- rooms: /api/rooms answers (create, read, list), the WebSocket /ws/rooms/<id> upgraded (101),
  a `join` answered by `joined` with the TURN servers and credentials Maille hands out;
- coturn: an allocation with those credentials succeeds (so coturn and Maille share the
  rendered secret), a wrong password is refused (401), and permissions towards private and
  loopback peers are refused (403: the denied peer ranges are in force). Creating a
  permission sends nothing to the peer;
- federation: /.well-known/nodeinfo and the NodeInfo document, WebFinger for the
  administrator, the actor it points to, and the shared inbox (reached: refuses an unsigned
  post rather than answering 404).

Every request goes to 127.0.0.1 (the test root shares the host's network); the TLS name and
the Host header are the instance's domain. Exits non-zero, naming the check, on a failure.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import sys
import time
import urllib.parse

from aioice import stun
from aioice.turn import UDP_TRANSPORT, make_integrity_key
from websockets.sync.client import connect as ws_connect


def fail(message):
    print(f"check-live: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def ok(message):
    print(f"  ok: {message}")


class Site:
    """HTTPS to nginx on 127.0.0.1, with the instance's name for TLS (SNI) and Host."""

    def __init__(self, domain, port):
        self.domain, self.port = domain, port
        self.origin = f"https://{domain}:{port}"
        self.context = ssl.create_default_context()
        # The test's certificate is self-signed.
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE
        self.cookie = None
        self.csrf = None

    def socket(self):
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return self.context.wrap_socket(raw, server_hostname=self.domain)

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPSConnection(self.domain, self.port, context=self.context, timeout=10)
        conn.sock = self.socket()
        headers = dict(headers or {})
        if body is not None:
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        if method != "GET" and path.startswith("/api/"):
            headers.setdefault("Origin", self.origin)
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.csrf and method != "GET":
            headers["X-CSRF-Token"] = self.csrf
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response, data

    def json(self, method, path, body=None, expect=(200,), headers=None):
        response, data = self.request(method, path, body, headers)
        if response.status not in expect:
            fail(f"{method} {path}: {response.status} {data[:300]!r}")
        try:
            return json.loads(data) if data else None
        except ValueError:
            fail(f"{method} {path}: not JSON: {data[:300]!r}")

    def log_in(self, login, password):
        response, data = self.request("POST", "/api/session", {"login": login, "password": password})
        if response.status != 200:
            fail(f"login: {response.status} {data[:300]!r}")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("__Host-maille_session="):
                self.cookie = value.split(";", 1)[0]
        if not self.cookie:
            fail("login: no __Host-maille_session cookie")
        session = self.json("GET", "/api/session")
        self.csrf = session.get("csrf_token")

    def websocket(self, path):
        """Opens a WebSocket through nginx; fails unless the upgrade answered 101."""
        try:
            ws = ws_connect(
                f"wss://{self.domain}:{self.port}{path}",
                sock=socket.create_connection(("127.0.0.1", self.port), timeout=10),
                ssl=self.context,
                server_hostname=self.domain,
                origin=self.origin,
                additional_headers={"Cookie": self.cookie},
                open_timeout=10,
            )
        except Exception as error:  # noqa: BLE001 - the check names whatever went wrong
            fail(f"WebSocket {path}: {error}")
        status = ws.response.status_code
        if status != 101:
            fail(f"WebSocket {path}: status {status}")
        return ws


def check_pads(site):
    pad = site.json("POST", "/api/pads", {"title": "deployment test", "visibility": "link"}, expect=(200, 201))
    pad_id = pad["id"]
    site.json("GET", f"/api/pads/{pad_id}")
    ok(f"/api/pads: pad {pad_id} made and read")
    with site.websocket(f"/ws/pads/{pad_id}") as ws:
        first = ws.recv(timeout=10)
        # y-websocket: messageSync (0), then syncStep1 (0) or syncStep2 (1).
        if not isinstance(first, bytes) or len(first) < 2 or first[0] != 0 or first[1] not in (0, 1):
            fail(f"/ws/pads/{pad_id}: the first message is not a y-websocket sync message: {first[:20]!r}")
    ok(f"/ws/pads/{pad_id}: 101 Switching Protocols, then a y-websocket sync message")


def check_rooms(site):
    room = site.json("POST", "/api/rooms", {"name": "deployment test"}, expect=(200, 201))
    room_id = room["id"]
    if site.json("GET", f"/api/rooms/{room_id}")["id"] != room_id:
        fail(f"/api/rooms/{room_id}: another room")
    mine = site.json("GET", "/api/rooms")
    if room_id not in [r["id"] for r in mine]:
        fail("/api/rooms: the new room is not listed")
    ok(f"/api/rooms: room {room_id} made, read and listed")
    with site.websocket(f"/ws/rooms/{room_id}") as ws:
        ws.send(json.dumps({"type": "join", "name": "Deployment test"}))
        while True:
            message = json.loads(ws.recv(timeout=10))
            if message.get("type") == "joined":
                break
            if message.get("type") == "error":
                fail(f"/ws/rooms/{room_id}: {message}")
    ok(f"/ws/rooms/{room_id}: 101 Switching Protocols, then `joined` as {message['participant_id']}")
    return message["ice_servers"]


def turn_transaction(sock, server, request):
    data = bytes(request)
    for _ in range(10):
        sock.sendto(data, server)
        try:
            answer, _ = sock.recvfrom(4096)
        except socket.timeout:
            continue
        response = stun.parse_message(answer)
        if response.transaction_id == request.transaction_id:
            return response
    fail(f"coturn at {server} does not answer a {request.message_method.name} request")


def check_turn(ice_servers, domain, turn_port, relay_min, relay_max):
    wanted = f"turn:{domain}:{turn_port}?transport=udp"
    servers = [s for s in ice_servers if wanted in s.get("urls", [])]
    if not servers or not servers[0].get("username") or not servers[0].get("credential"):
        fail(f"`joined` names no TURN server {wanted} with credentials: {ice_servers}")
    username, credential = servers[0]["username"], servers[0]["credential"]
    expiry = int(username.split(":", 1)[0])
    if expiry <= time.time():
        fail(f"the TURN credentials handed out have expired already ({username})")
    ok(f"`joined` hands out {wanted} with credentials valid until {time.ctime(expiry)}")

    server = ("127.0.0.1", turn_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)

        def allocate(password):
            request = stun.Message(stun.Method.ALLOCATE, stun.Class.REQUEST)
            request.attributes["REQUESTED-TRANSPORT"] = UDP_TRANSPORT
            challenge = turn_transaction(sock, server, request)
            if challenge.message_class != stun.Class.ERROR or challenge.error_code != 401:
                fail(f"coturn allocated without credentials: {challenge}")
            realm, nonce = challenge.attributes["REALM"], challenge.attributes["NONCE"]
            key = make_integrity_key(username, realm, password)
            request = stun.Message(stun.Method.ALLOCATE, stun.Class.REQUEST)
            request.attributes.update({
                "REQUESTED-TRANSPORT": UDP_TRANSPORT,
                "USERNAME": username,
                "REALM": realm,
                "NONCE": nonce,
            })
            request.add_message_integrity(key)
            return turn_transaction(sock, server, request), realm, nonce, key

        wrong = base64.b64encode(hmac.new(b"not the secret", username.encode(), hashlib.sha1).digest()).decode()
        refused, _, _, _ = allocate(wrong)
        if refused.message_class != stun.Class.ERROR or refused.error_code != 401:
            fail(f"coturn accepted a credential signed with another secret: {refused}")
        ok("coturn refuses a credential signed with another secret (401)")

        response, realm, nonce, key = allocate(credential)
        if response.message_class != stun.Class.RESPONSE:
            fail(f"coturn refused Maille's credentials (the shared secret differs?): "
                 f"{response.error_code} {response.attributes.get('ERROR-CODE')}")
        relayed = response.attributes["XOR-RELAYED-ADDRESS"]
        if not relay_min <= relayed[1] <= relay_max:
            fail(f"relayed port {relayed[1]} is outside {relay_min}-{relay_max}")
        ok(f"coturn allocates with Maille's credentials (relay port {relayed[1]}, in {relay_min}-{relay_max})")

        for peer in ("127.0.0.1", "10.1.2.3", "172.16.5.6", "192.168.7.8", "169.254.1.1", "100.64.1.1"):
            request = stun.Message(stun.Method.CREATE_PERMISSION, stun.Class.REQUEST)
            request.attributes.update({
                "XOR-PEER-ADDRESS": (peer, 9),
                "USERNAME": username,
                "REALM": realm,
                "NONCE": nonce,
            })
            request.add_message_integrity(key)
            answer = turn_transaction(sock, server, request)
            if answer.message_class != stun.Class.ERROR or answer.error_code != 403:
                fail(f"coturn lets a client relay to {peer}: {answer}")
        ok("coturn refuses to relay to loopback, private, link-local and shared addresses (403)")

        # Give the allocation back.
        request = stun.Message(stun.Method.REFRESH, stun.Class.REQUEST)
        request.attributes.update({"LIFETIME": 0, "USERNAME": username, "REALM": realm, "NONCE": nonce})
        request.add_message_integrity(key)
        turn_transaction(sock, server, request)


def check_federation(site, login):
    links = site.json("GET", "/.well-known/nodeinfo")["links"]
    href = next((l["href"] for l in links if "nodeinfo" in l.get("rel", "")), None)
    if not href:
        fail(f"/.well-known/nodeinfo: no link: {links}")
    nodeinfo = site.json("GET", urllib.parse.urlsplit(href).path)
    if nodeinfo.get("software", {}).get("name") != "maille":
        fail(f"NodeInfo: {nodeinfo}")
    ok(f"/.well-known/nodeinfo -> {urllib.parse.urlsplit(href).path}: maille {nodeinfo['software'].get('version')}")

    acct = f"acct:{login}@{site.domain}:{site.port}"
    finger = site.json("GET", "/.well-known/webfinger?" + urllib.parse.urlencode({"resource": acct}))
    actor_url = next((l["href"] for l in finger.get("links", []) if l.get("rel") == "self"), None)
    if not actor_url:
        fail(f"WebFinger {acct}: no self link: {finger}")
    ok(f"/.well-known/webfinger {acct} -> {actor_url}")
    actor = site.json("GET", urllib.parse.urlsplit(actor_url).path,
                      headers={"Accept": "application/activity+json"})
    if not actor.get("inbox"):
        fail(f"actor {actor_url}: no inbox: {actor}")
    ok(f"the actor document answers, with its inbox {actor['inbox']}")

    inbox = urllib.parse.urlsplit(actor.get("endpoints", {}).get("sharedInbox") or actor["inbox"]).path
    response, data = site.request("POST", inbox, {"type": "Follow"},
                                  headers={"Content-Type": "application/activity+json"})
    if response.status == 404 or response.status >= 500:
        fail(f"POST {inbox} unsigned: {response.status} {data[:200]!r}")
    ok(f"POST {inbox} unsigned is refused by Maille ({response.status}), not lost on the way")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--domain", required=True)
    parser.add_argument("--https-port", type=int, required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--turn-port", type=int, required=True)
    parser.add_argument("--relay-min", type=int, required=True)
    parser.add_argument("--relay-max", type=int, required=True)
    args = parser.parse_args()

    site = Site(args.domain, args.https_port)
    site.log_in(args.login, args.password)
    print("pads")
    check_pads(site)
    print("rooms")
    ice_servers = check_rooms(site)
    print("coturn")
    check_turn(ice_servers, args.domain, args.turn_port, args.relay_min, args.relay_max)
    print("federation")
    check_federation(site, args.login)


if __name__ == "__main__":
    main()
