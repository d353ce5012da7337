// SignalingClient: the browser side of the mixmeet signaling protocol v1 (docs/protocol.md).
// It owns one WebSocket, sends and receives one JSON object per text frame, and reports
// each server message to the callbacks registered for its `type`. It knows nothing about
// WebRTC: the room page decides what to do with offers and candidates.

export const PROTOCOL_VERSION = 1;

// The WebSocket endpoint on the host that served this page.
export function defaultSignalingUrl(loc = window.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws`;
}

export class SignalingClient {
  constructor(url = defaultSignalingUrl()) {
    this.url = url;
    this.ws = null;
    // type -> array of callbacks. Besides the server message types there are the local
    // events 'open', 'close' ({code, reason, wasClean}) and 'protocol-error' (a frame that
    // is not a JSON object with a string `type`).
    this.handlers = new Map();
    // Server messages received, by type (test hooks and diagnostics read it).
    this.received = {};
  }

  on(type, callback) {
    if (!this.handlers.has(type)) {
      this.handlers.set(type, []);
    }
    this.handlers.get(type).push(callback);
    return this;
  }

  emit(type, payload) {
    for (const callback of this.handlers.get(type) || []) {
      try {
        callback(payload);
      } catch (err) {
        console.error(`mixmeet: ${type} handler failed`, err);
      }
    }
  }

  get readyState() {
    return this.ws ? this.ws.readyState : WebSocket.CLOSED;
  }

  // Opens the socket; resolves once it is open, rejects if it closes first.
  connect() {
    return new Promise((resolve, reject) => {
      let opened = false;
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.addEventListener('open', () => {
        opened = true;
        this.emit('open', {});
        resolve();
      });
      ws.addEventListener('message', (event) => this.onFrame(event.data));
      ws.addEventListener('close', (event) => {
        this.emit('close', { code: event.code, reason: event.reason, wasClean: event.wasClean });
        if (!opened) {
          reject(new Error(`could not connect to ${this.url} (close code ${event.code})`));
        }
      });
      // An 'error' event is always followed by 'close', which carries the useful details.
    });
  }

  onFrame(data) {
    if (typeof data !== 'string') {
      this.emit('protocol-error', { message: 'binary frame from server' });
      return;
    }
    let message;
    try {
      message = JSON.parse(data);
    } catch (err) {
      this.emit('protocol-error', { message: `bad JSON from server: ${err.message}` });
      return;
    }
    if (message === null || typeof message !== 'object' || typeof message.type !== 'string') {
      this.emit('protocol-error', { message: 'server message without a type' });
      return;
    }
    this.received[message.type] = (this.received[message.type] || 0) + 1;
    this.emit('message', message);
    this.emit(message.type, message);
  }

  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return false;
    }
    this.ws.send(JSON.stringify(message));
    return true;
  }

  // resume: the last welcome's resumeToken, to come back as the same participant after a
  // dropped connection (docs/protocol.md, "Reconnecting"); null for a fresh join.
  join(room, name, resume = null) {
    const message = { type: 'join', version: PROTOCOL_VERSION, room, name };
    if (resume) message.resume = resume;
    return this.send(message);
  }

  answer(sdp) {
    return this.send({ type: 'answer', sdp });
  }

  // candidate: the `candidate:...` string, or '' for end-of-candidates.
  ice(candidate, sdpMLineIndex) {
    return this.send({ type: 'ice', candidate, sdpMLineIndex });
  }

  leave() {
    return this.send({ type: 'leave' });
  }

  // The media connection failed with the socket up: the server answers with a new offer
  // (new ICE credentials) for the same PeerConnection (docs/protocol.md, "ICE restart").
  iceRestart() {
    return this.send({ type: 'ice-restart' });
  }

  close(code = 1000, reason = '') {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) {
      this.ws.close(code, reason);
    }
  }
}
