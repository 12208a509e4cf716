#!/usr/bin/python3
"""Peer baseline for the capacity benchmark: a minimal aiortc voice server.

It does the media work of Duplex's `-pipeline canned`, the Python way:
aiortc decodes the caller's Opus, an energy VAD finds the end of each
utterance, and a cached reply (a WAV file, e.g. from espeak-ng, loaded and
resampled to 48 kHz once) is played back on the call's audio track, which
aiortc encodes to Opus and paces in real time (silence between replies).

HTTP, WHIP-style like Duplex, on a bare asyncio server (no aiohttp):

    POST   /v1/calls        application/sdp offer -> 201, SDP answer, Location
    DELETE /v1/calls/{id}   -> 204 (404 if unknown)
    GET    /healthz         -> 200 ok

    /usr/bin/python3 bench/peer/server.py --addr 127.0.0.1:8090 --reply reply.wav

Debian's aiortc (python3-aiortc 1.4; bench/peer/deps.sh installs it) imports
only under /usr/bin/python3. Driven by `callbot -calls N` and cmd/bench.
"""

import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # audioop, in Python 3.11

import argparse  # noqa: E402
import asyncio  # noqa: E402
import audioop  # noqa: E402
import fractions  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import wave  # noqa: E402

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack  # noqa: E402
from av import AudioFrame  # noqa: E402

RATE = 48000
SAMPLES = 960  # 20 ms
FRAME_BYTES = SAMPLES * 2
SILENCE = bytes(FRAME_BYTES)
MAX_BODY = 64 << 10

REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 404: "Not Found",
           405: "Method Not Allowed", 413: "Payload Too Large", 415: "Unsupported Media Type"}


def load_reply(path):
    """Reads a 16-bit PCM WAV and returns it as 48 kHz mono s16 bytes."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: want 16-bit PCM")
        data = w.readframes(w.getnframes())
        if w.getnchannels() == 2:
            data = audioop.tomono(data, 2, 0.5, 0.5)
        elif w.getnchannels() != 1:
            raise ValueError(f"{path}: {w.getnchannels()} channels")
        if w.getframerate() != RATE:
            data, _ = audioop.ratecv(data, 2, 1, w.getframerate(), RATE, None)
    if not data:
        raise ValueError(f"{path}: no audio")
    return data


class ReplyTrack(MediaStreamTrack):
    """Sends silence, or the reply while one is playing, one 20 ms frame at
    a time in real time (paced like aiortc's AudioStreamTrack)."""

    kind = "audio"

    def __init__(self, reply):
        super().__init__()
        self.reply = reply
        self.pos = None  # byte offset into reply while playing
        self._start = None
        self._ts = 0

    def play(self):
        self.pos = 0  # a reply under way starts again

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            self._ts += SAMPLES
            wait = self._start + self._ts / RATE - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        data = SILENCE
        if self.pos is not None:
            data = self.reply[self.pos : self.pos + FRAME_BYTES]
            self.pos += FRAME_BYTES
            if self.pos >= len(self.reply):
                self.pos = None
            if len(data) < FRAME_BYTES:
                data += bytes(FRAME_BYTES - len(data))
        frame = AudioFrame(format="s16", layout="mono", samples=SAMPLES)
        frame.planes[0].update(data)
        frame.pts = self._ts
        frame.sample_rate = RATE
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


class EnergyVAD:
    """Speech = a 20 ms frame above threshold dBFS (RMS); min_speech frames
    of it start an utterance, min_silence frames without it end one."""

    def __init__(self, threshold_dbfs, min_speech, min_silence):
        self.threshold = 32768 * 10 ** (threshold_dbfs / 20)
        self.min_speech = min_speech
        self.min_silence = min_silence
        self.speech = 0
        self.silence = 0
        self.active = False

    def push(self, pcm):
        """Returns True when this frame ends an utterance."""
        if audioop.rms(pcm, 2) > self.threshold:
            self.speech += 1
            self.silence = 0
            if not self.active and self.speech >= self.min_speech:
                self.active = True
            return False
        if not self.active:
            self.speech = 0
            return False
        self.silence += 1
        if self.silence >= self.min_silence:
            self.active = False
            self.speech = 0
            return True
        return False


class Call:
    def __init__(self, server, cid):
        self.server = server
        self.id = cid
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.out = ReplyTrack(server.reply)
        self.tasks = set()
        self.closed = False

    async def listen(self, track):
        a = self.server.args
        vad = EnergyVAD(a.threshold_dbfs, a.min_speech_ms // 20, a.min_silence_ms // 20)
        while True:
            try:
                frame = await track.recv()  # decoded by aiortc: 48 kHz stereo s16
            except MediaStreamError:
                return
            if vad.push(bytes(frame.planes[0])):
                self.out.play()

    async def close(self):
        if self.closed:
            return
        self.closed = True
        self.server.calls.pop(self.id, None)
        self.out.stop()
        for t in list(self.tasks):
            t.cancel()
        await self.pc.close()


class Server:
    def __init__(self, args, reply):
        self.args = args
        self.reply = reply
        self.calls = {}

    async def create(self, offer):
        cid = secrets.token_hex(16)
        call = Call(self, cid)
        pc = call.pc
        self.calls[cid] = call

        @pc.on("track")
        def on_track(track):
            if track.kind == "audio":
                t = asyncio.ensure_future(call.listen(track))
                call.tasks.add(t)
                t.add_done_callback(call.tasks.discard)

        @pc.on("connectionstatechange")
        async def on_state():
            if pc.connectionState in ("failed", "closed"):
                await call.close()

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            pc.addTrack(call.out)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception:
            await call.close()
            raise
        return cid, pc.localDescription.sdp

    async def route(self, method, path, headers, body):
        if method == "GET" and path == "/healthz":
            return 200, {"Content-Type": "text/plain"}, b"ok"
        if path == "/v1/calls":
            if method != "POST":
                return error(405, "method not allowed")
            if headers.get("content-type", "").split(";")[0].strip() != "application/sdp":
                return error(415, "Content-Type must be application/sdp")
            try:
                cid, answer = await self.create(body.decode("utf-8"))
            except Exception as e:  # a bad offer
                return error(400, f"bad offer: {e}")
            return 201, {"Content-Type": "application/sdp", "Location": f"/v1/calls/{cid}"}, answer.encode()
        if path.startswith("/v1/calls/"):
            if method != "DELETE":
                return error(405, "method not allowed")
            call = self.calls.get(path[len("/v1/calls/"):])
            if call is None:
                return error(404, "no such call")
            await call.close()
            return 204, {}, b""
        return error(404, "not found")

    async def handle(self, reader, writer):
        """HTTP/1.1 with keep-alive, just enough for the Go client."""
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                parts = line.decode("latin-1").split()
                if len(parts) != 3:
                    break
                method, path, _ = parts
                headers = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                n = int(headers.get("content-length", "0") or 0)
                close = headers.get("connection", "").lower() == "close"
                if n > MAX_BODY:
                    status, hdrs, out = error(413, "body too large")
                    close = True
                else:
                    body = await reader.readexactly(n) if n else b""
                    status, hdrs, out = await self.route(method, path.split("?")[0], headers, body)
                head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}", f"Content-Length: {len(out)}"]
                head += [f"{k}: {v}" for k, v in hdrs.items()]
                if close:
                    head.append("Connection: close")
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + out)
                await writer.drain()
                if close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()


def error(status, msg):
    return status, {"Content-Type": "application/json"}, json.dumps({"error": msg}).encode()


async def main():
    p = argparse.ArgumentParser(description="aiortc peer baseline for the Duplex capacity benchmark")
    p.add_argument("--addr", default="127.0.0.1:8090", help="HTTP listen address host:port")
    p.add_argument("--reply", required=True, help="WAV file played after every utterance")
    p.add_argument("--threshold-dbfs", type=float, default=-40.0, help="energy VAD: speech above this level")
    p.add_argument("--min-speech-ms", type=int, default=100, help="speech that starts an utterance")
    p.add_argument("--min-silence-ms", type=int, default=300, help="silence that ends it")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    reply = load_reply(args.reply)
    srv = Server(args, reply)
    host, _, port = args.addr.rpartition(":")
    server = await asyncio.start_server(srv.handle, host or "127.0.0.1", int(port))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(s, stop.set)
    print(f"peer: listening on {args.addr}, reply {len(reply) / 2 / RATE:.2f} s", file=sys.stderr, flush=True)
    async with server:
        await stop.wait()
    for call in list(srv.calls.values()):
        await call.close()


if __name__ == "__main__":
    asyncio.run(main())
