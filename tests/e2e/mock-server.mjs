#!/usr/bin/env node
// A stand-in for the mixmeet server, for working on the web client without the C++ MCU.
// Same command line and ready line as the real binary:
//
//   tests/e2e/mock-server.mjs serve --config FILE
//   MIXMEET_BIN=$PWD/tests/e2e/mock-server.mjs node tests/e2e/two-browsers.mjs
//
// It serves web_dir over HTTP and speaks protocol v1 on /ws (hand-written WebSocket framing:
// the tests have no dependency but playwright-core). The media side of each participant is a
// page in a headless Chromium that offers one audio and one video transceiver, sending a
// canvas picture of the configured size that lists the roster, and a fake microphone tone.
// It does not mix anything: it only lets the client's signaling and playback be exercised.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './harness.mjs';
import { admit, findMeeting, handleApi, initialChat, olderChat, presenceSession, recordJoin, saveChat } from './mock-api.mjs';

// ---------------------------------------------------------------- config

function parseIni(text) {
  const out = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) out[`${section}.${line.slice(0, eq).trim()}`] = line.slice(eq + 1).trim();
  }
  return out;
}

const argv = process.argv.slice(2);
const configIndex = argv.indexOf('--config');
if (argv[0] !== 'serve' || configIndex < 0) {
  console.error('usage: mock-server.mjs serve --config FILE');
  process.exit(2);
}
const config = parseIni(fs.readFileSync(argv[configIndex + 1], 'utf8'));
const webDir = config['server.web_dir'];
const video = {
  width: Number(config['video.width'] || 640),
  height: Number(config['video.height'] || 360),
  framerate: Number(config['video.framerate'] || 30),
};

// ---------------------------------------------------------------- HTTP

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

const openRooms = config['auth.open_rooms'] === 'true';

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/__mock_peer.html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>mock peer</title>');
    return;
  }
  if (await handleApi(req, res)) return;
  const meetingPage = /^\/m\/([^/]+)$/.exec(url.pathname);
  if (meetingPage) {
    res.writeHead(findMeeting(meetingPage[1]) ? 200 : 404, { 'content-type': TYPES['.html'] });
    fs.createReadStream(path.join(webDir, 'room.html')).pipe(res);
    return;
  }
  const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).slice(1);
  const file = path.resolve(webDir, rel);
  if (!file.startsWith(path.resolve(webDir) + path.sep) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});

// ---------------------------------------------------------------- WebSocket (RFC 6455)

class Socket {
  constructor(netSocket) {
    this.net = netSocket;
    this.buffer = Buffer.alloc(0);
    this.fragments = [];
    this.closed = false;
    this.onmessage = () => {};
    this.onclose = () => {};
    netSocket.on('data', (chunk) => this.receive(chunk));
    netSocket.on('close', () => this.finish());
    netSocket.on('error', () => this.finish());
  }

  finish() {
    if (this.closed) return;
    this.closed = true;
    this.onclose();
  }

  receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const b0 = this.buffer[0];
      const b1 = this.buffer[1];
      let len = b1 & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (this.buffer.length < 4) return;
        len = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) return;
        len = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const maskLen = masked ? 4 : 0;
      if (this.buffer.length < offset + maskLen + len) return;
      const mask = this.buffer.subarray(offset, offset + maskLen);
      const payload = Buffer.from(this.buffer.subarray(offset + maskLen, offset + maskLen + len));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      this.buffer = this.buffer.subarray(offset + maskLen + len);
      const opcode = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      if (opcode === 0x8) {
        this.write(0x8, payload.subarray(0, 2));
        this.net.end();
        this.finish();
        return;
      }
      if (opcode === 0x9) {
        this.write(0xa, payload);
        continue;
      }
      if (opcode === 0x1 || opcode === 0x0) {
        this.fragments.push(payload);
        if (fin) {
          const text = Buffer.concat(this.fragments).toString('utf8');
          this.fragments = [];
          this.onmessage(text);
        }
      }
    }
  }

  write(opcode, payload) {
    if (this.net.destroyed) return;
    const len = payload.length;
    let header;
    if (len < 126) {
      header = Buffer.from([0x80 | opcode, len]);
    } else if (len < 65536) {
      header = Buffer.alloc(4);
      header[0] = 0x80 | opcode;
      header[1] = 126;
      header.writeUInt16BE(len, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    this.net.write(Buffer.concat([header, payload]));
  }

  send(object) {
    this.write(0x1, Buffer.from(JSON.stringify(object), 'utf8'));
  }

  close(code = 1000) {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code, 0);
    this.write(0x8, payload);
    this.net.end();
  }
}

// ---------------------------------------------------------------- media peers

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mixmeet-mock-'));
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });

// Runs in the peer page: offer audio + video from a canvas that shows the roster.
function peerScript({ width, height, framerate }) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  let frame = 0;
  window.rosterNames ??= [];
  setInterval(() => {
    frame++;
    g.fillStyle = '#203040';
    g.fillRect(0, 0, width, height);
    const n = Math.max(1, window.rosterNames.length);
    const cols = Math.ceil(Math.sqrt(n));
    const rows = Math.ceil(n / cols);
    window.rosterNames.forEach((name, i) => {
      const w = width / cols;
      const h = height / rows;
      const x = (i % cols) * w;
      const y = Math.floor(i / cols) * h;
      g.fillStyle = `hsl(${(i * 97 + frame) % 360} 40% 35%)`;
      g.fillRect(x + 2, y + 2, w - 4, h - 4);
      g.fillStyle = '#fff';
      g.font = '20px sans-serif';
      g.fillText(name, x + 10, y + h - 12);
    });
    g.fillStyle = '#fff';
    g.font = '14px monospace';
    g.fillText(`mock MCU frame ${frame}`, 8, 20);
  }, 1000 / framerate);
  return (async () => {
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    const stream = canvas.captureStream(framerate);
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    pc.addTransceiver(mic.getAudioTracks()[0], { direction: 'sendrecv' });
    pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendrecv' });
    pc.onicecandidate = (e) =>
      window.toClient({
        type: 'ice',
        candidate: e.candidate ? e.candidate.candidate : '',
        sdpMLineIndex: e.candidate ? e.candidate.sdpMLineIndex : 0,
      });
    await pc.setLocalDescription(await pc.createOffer());
    window.toClient({ type: 'offer', sdp: pc.localDescription.sdp });
  })();
}

// ---------------------------------------------------------------- rooms

const rooms = new Map(); // room -> Map(id -> participant)
let nextId = 1;

function broadcastRoster(room) {
  const members = rooms.get(room);
  if (!members) return;
  const participants = [...members.values()].map((p) => ({ id: p.id, name: p.name }));
  for (const p of members.values()) {
    p.socket.send({ type: 'roster', participants });
    p.page?.evaluate((names) => (window.rosterNames = names), participants.map((x) => x.name)).catch(() => {});
  }
}

async function removeParticipant(p) {
  if (p.removed) return;
  p.removed = true;
  const members = rooms.get(p.room);
  if (members) {
    members.delete(p.id);
    if (members.size === 0) rooms.delete(p.room);
    else broadcastRoster(p.room);
  }
  await p.page?.close().catch(() => {});
}

const ROOM_RE = /^[A-Za-z0-9._-]{1,64}$/;

function onConnection(socket, req) {
  let participant = null;
  let presence = null;
  socket.onclose = () => {
    presence?.onClose();
    if (participant) {
      participant.recordLeave();
      removeParticipant(participant);
    }
  };
  socket.onmessage = async (text) => {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      socket.send({ type: 'error', code: 'bad-json', message: 'not JSON' });
      return;
    }
    if (presence) {
      presence.onMessage(msg);
      return;
    }
    if (msg.type === 'presence' && !participant) {
      presence = presenceSession(req, socket);
      return;
    }
    if (msg.type === 'chat' && participant?.meeting) {
      const saved = saveChat(participant.meeting, participant.user, participant.name, msg.text);
      if (!saved) {
        socket.send({ type: 'error', code: 'bad-message', message: 'chat text must be 1–2000 characters' });
        return;
      }
      for (const p of rooms.get(participant.room)?.values() || []) p.socket.send({ type: 'chat', message: saved });
      return;
    }
    if (msg.type === 'chat-history' && participant?.meeting) {
      socket.send(olderChat(participant.meeting, msg.before));
      return;
    }
    if (msg.type === 'join') {
      if (participant) {
        socket.send({ type: 'error', code: 'bad-state', message: 'already joined' });
        return;
      }
      if (!ROOM_RE.test(msg.room || '') || !msg.name) {
        socket.send({ type: 'error', code: 'bad-message', message: 'bad room or name' });
        return;
      }
      const admission = admit(req, msg.room, msg.name.trim(), { openRooms });
      if (admission.error) {
        socket.send({ type: 'error', code: admission.error, message: admission.message });
        socket.close(1008);
        return;
      }
      const id = `p${nextId++}`;
      participant = {
        id,
        room: msg.room,
        name: admission.name,
        meeting: admission.meeting,
        user: admission.user,
        recordLeave: recordJoin(admission.meeting, admission.user),
        socket,
        page: null,
        answered: false,
        queued: [],
      };
      if (!rooms.has(msg.room)) rooms.set(msg.room, new Map());
      rooms.get(msg.room).set(id, participant);
      socket.send({ type: 'welcome', version: 1, participantId: id, room: msg.room, iceServers: [], video });
      if (participant.meeting) socket.send(initialChat(participant.meeting));
      broadcastRoster(msg.room);
      const context = await browser.newContext();
      const page = await context.newPage();
      participant.page = page;
      page.on('close', () => context.close().catch(() => {}));
      await page.exposeFunction('toClient', (m) => socket.send(m));
      await page.goto(`http://127.0.0.1:${server.address().port}/__mock_peer.html`);
      broadcastRoster(msg.room);
      await page.evaluate(peerScript, video);
    } else if (msg.type === 'answer' && participant?.page) {
      await participant.page.evaluate((sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), msg.sdp);
      participant.answered = true;
      for (const c of participant.queued.splice(0)) await addIce(participant, c);
    } else if (msg.type === 'ice' && participant?.page) {
      if (participant.answered) await addIce(participant, msg);
      else participant.queued.push(msg);
    } else if (msg.type === 'leave' && participant) {
      participant.recordLeave();
      socket.send({ type: 'bye', reason: 'left' });
      socket.close(1000);
      await removeParticipant(participant);
    } else {
      socket.send({ type: 'error', code: 'unknown-type', message: `unexpected ${msg.type}` });
    }
  };
}

async function addIce(p, msg) {
  await p.page
    .evaluate(
      (m) => window.pc.addIceCandidate(m.candidate ? { candidate: m.candidate, sdpMLineIndex: m.sdpMLineIndex } : undefined),
      msg,
    )
    .catch((err) => console.error(`mock: addIceCandidate: ${err.message}`));
}

server.on('upgrade', (req, netSocket) => {
  if (new URL(req.url, 'http://x').pathname !== '/ws') {
    netSocket.destroy();
    return;
  }
  const accept = crypto
    .createHash('sha1')
    .update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64');
  netSocket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  onConnection(new Socket(netSocket), req);
});

async function shutdown() {
  await browser.close().catch(() => {});
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(Number(config['server.port'] || 0), config['server.address'] || '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`mixmeet: listening on http://${address}:${port}/`);
});
