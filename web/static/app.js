// Duplex browser client. Plain JavaScript, no build step, no dependencies.
// The protocol it speaks is described in docs/protocol.md.
'use strict';

(function () {
  // ---------------------------------------------------------------------
  // Constants and elements

  const ICE_GATHER_TIMEOUT_MS = 2000;
  // ICE restart (RFC 9725 §4.3.2): how long "disconnected" may last before
  // the page restarts ICE, the pause between attempts, and how many.
  const ICE_RESTART_DELAY_MS = 2000;
  const ICE_RESTART_RETRY_MS = 3000;
  const ICE_RESTART_TRIES = 10;
  const DELETE_TIMEOUT_MS = 2000; // hang-up waits this long for the DELETE
  // Resume after a reload (docs/protocol.md): the call's resume credential
  // is kept in sessionStorage (this tab only; never in the URL or logs) and
  // tried on load if the page went away less than RESUME_FRESH_MS ago, well
  // inside the server's -resume-window (30 s by default).
  const RESUME_KEY = 'duplex.resume';
  const RESUME_FRESH_MS = 20000;
  const RESUME_MAX_LINES = 200; // transcript lines carried over
  const MAX_TEXT_BYTES = 4096; // events.MaxTextLen on the server
  const STATE_LABELS = {
    idle: 'Not in a call',
    connecting: 'Connecting…',
    listening: 'Listening',
    user_speaking: 'You’re speaking',
    thinking: 'Thinking…',
    speaking: 'Speaking',
  };
  const CONNECTION_LABELS = {
    new: 'Not connected',
    connecting: 'Connecting…',
    connected: 'Connected',
    disconnected: 'Connection interrupted…',
    reconnecting: 'Reconnecting…',
    failed: 'Connection failed',
    closed: 'Call ended',
  };

  const $ = (id) => document.getElementById(id);
  const el = {
    call: $('call'),
    hangup: $('hangup'),
    mute: $('mute'),
    camera: $('camera'),
    mode: $('mode'),
    ptt: $('ptt'),
    status: $('status'),
    latency: $('latency'),
    assistantState: $('assistant-state'),
    assistantStateLabel: $('assistant-state-label'),
    error: $('error'),
    errorText: $('error-text'),
    errorClose: $('error-close'),
    notice: $('notice'),
    noticeText: $('notice-text'),
    noticeClose: $('notice-close'),
    selfView: $('self-view'),
    remoteAudio: $('remote-audio'),
    micSelect: $('mic-select'),
    camSelect: $('cam-select'),
    sessionInfo: $('session-info'),
    transcript: $('transcript'),
    textForm: $('text-form'),
    textInput: $('text-input'),
    send: $('send'),
    stop: $('stop'),
  };

  const token = new URLSearchParams(window.location.search).get('token') || '';

  // ---------------------------------------------------------------------
  // Public state for automated tests and debugging.

  const duplex = {
    state: 'idle', // assistant state from "state" events; "idle" outside a call
    connectionState: 'new', // pc.connectionState; "closed" after hang-up
    callURL: null, // absolute URL of the call resource (from Location)
    callId: null, // from session.ready
    mode: null, // from session.ready / the last session.update sent
    pipeline: null, // from session.ready
    engines: null, // from session.ready
    transcript: [], // {role, turnId, text, final, interrupted, heard, latencyMs, metrics, source}
    errors: [], // {source: "server"|"client", code, message, turnId, time}
    lastLatencyMs: null,
    pc: null,
    dc: null,
    // send(obj | string): sends one raw message on the data channel; returns
    // false when the channel is not open. Used by tests and the UI.
    send: sendRaw,
    hangup: () => endCall(current, null),
  };
  window.duplex = duplex;

  // ---------------------------------------------------------------------
  // UI preferences (live across calls)

  const prefs = {
    muted: false,
    cameraOn: true,
    micId: '',
    camId: '',
  };
  let pttHeld = false;

  // The call in progress, or null. One object per attempt so that late
  // results of an aborted attempt can be recognised and dropped.
  let current = null;

  class UserError extends Error {}
  class Cancelled extends Error {}

  // ---------------------------------------------------------------------
  // Helpers

  function authHeaders(h) {
    if (token) h.Authorization = 'Bearer ' + token;
    return h;
  }

  function describe(e) {
    if (!e) return 'unknown error';
    if (e instanceof UserError) return e.message;
    const name = e.name || '';
    switch (name) {
      case 'NotAllowedError':
      case 'SecurityError':
        return 'permission denied';
      case 'NotFoundError':
      case 'OverconstrainedError':
        return 'no such device';
      case 'NotReadableError':
      case 'AbortError':
        return 'the device is in use or not working';
      default:
        return (name && name !== 'Error' ? name + ': ' : '') + (e.message || String(e));
    }
  }

  async function errorText(res, what) {
    let msg = '';
    try {
      const body = await res.text();
      try {
        const j = JSON.parse(body);
        msg = j && typeof j.error === 'string' ? j.error : body;
      } catch (_) {
        msg = body;
      }
    } catch (_) {
      msg = '';
    }
    msg = String(msg || '').trim().slice(0, 500);
    return what + ': ' + (msg || res.statusText || 'no details') + ' (HTTP ' + res.status + ')';
  }

  function unreachable() {
    return new UserError('Cannot reach the Duplex server at ' + window.location.host +
      '. Is it running? Check your network and try again.');
  }

  function utf8Length(s) {
    return new TextEncoder().encode(s).length;
  }

  function isOpen(c) {
    return !!(c && !c.closed && c.dc && c.dc.readyState === 'open');
  }

  // ---------------------------------------------------------------------
  // Banners

  function showError(message, opts) {
    const o = opts || {};
    const entry = {
      source: o.source || 'client',
      code: o.code || null,
      message: String(message),
      turnId: o.turnId == null ? null : o.turnId,
      time: Date.now(),
    };
    duplex.errors.push(entry);
    el.errorText.textContent = entry.code ? entry.message + ' [' + entry.code + ']' : entry.message;
    el.error.hidden = false;
  }

  function clearError() {
    el.error.hidden = true;
    el.errorText.textContent = '';
  }

  function showNotice(message) {
    el.noticeText.textContent = message;
    el.notice.hidden = false;
  }

  function clearNotice() {
    el.notice.hidden = true;
    el.noticeText.textContent = '';
  }

  // ---------------------------------------------------------------------
  // Status rendering

  function setConnectionState(s) {
    duplex.connectionState = s;
    el.status.dataset.state = s;
    el.status.textContent = CONNECTION_LABELS[s] || s;
  }

  function setAssistantState(s) {
    duplex.state = s;
    el.assistantState.dataset.state = s;
    el.assistantStateLabel.textContent = STATE_LABELS[s] || s;
  }

  function setLatency(ms) {
    duplex.lastLatencyMs = ms;
    el.latency.textContent = 'Last latency: ' + (ms == null ? '–' : Math.round(ms) + ' ms');
    el.latency.dataset.ms = ms == null ? '' : String(ms);
  }

  function renderSessionInfo() {
    if (!duplex.callId && !duplex.pipeline) {
      el.sessionInfo.textContent = current ? 'Waiting for the session…' : 'No session.';
      return;
    }
    const parts = [];
    if (duplex.callId) parts.push('Call ' + duplex.callId);
    if (duplex.mode) parts.push('mode ' + duplex.mode);
    if (duplex.pipeline) parts.push('pipeline ' + duplex.pipeline);
    if (duplex.engines && typeof duplex.engines === 'object') {
      const eng = Object.keys(duplex.engines).sort()
        .map((k) => k + '=' + duplex.engines[k]).join(', ');
      if (eng) parts.push(eng);
    }
    el.sessionInfo.textContent = parts.join(' · ');
  }

  function updateControls() {
    const c = current;
    const inCall = !!c;
    const open = isOpen(c);
    el.call.disabled = inCall;
    el.hangup.disabled = !inCall;
    el.textInput.disabled = !open;
    el.send.disabled = !open;
    el.stop.disabled = !open;
    el.mute.setAttribute('aria-pressed', String(prefs.muted));
    el.mute.textContent = prefs.muted ? 'Unmute mic' : 'Mute mic';
    el.camera.setAttribute('aria-pressed', String(prefs.cameraOn));
    el.camera.textContent = prefs.cameraOn ? 'Camera on' : 'Camera off';
    const half = el.mode.value === 'half_duplex';
    el.ptt.hidden = !half;
    el.ptt.disabled = !inCall;
    el.ptt.setAttribute('aria-pressed', String(pttHeld));
    el.ptt.textContent = pttHeld ? 'Talking… release to send' : 'Hold to talk';
    document.body.classList.toggle('in-call', inCall);
  }

  // ---------------------------------------------------------------------
  // Transcript

  const nodes = new Map(); // transcript entry -> <li>
  let transcriptFollow = true;

  el.transcript.addEventListener('scroll', () => {
    const t = el.transcript;
    transcriptFollow = t.scrollHeight - t.scrollTop - t.clientHeight < 40;
  });

  function addEntry(entry) {
    duplex.transcript.push(entry);
    const li = document.createElement('li');
    li.className = 'line line-' + entry.role;
    const meta = document.createElement('div');
    meta.className = 'line-meta';
    const text = document.createElement('div');
    text.className = 'line-text';
    li.append(meta, text);
    nodes.set(entry, li);
    el.transcript.appendChild(li);
    renderEntry(entry);
    return entry;
  }

  function renderEntry(entry) {
    const li = nodes.get(entry);
    if (!li) return;
    const meta = li.firstChild;
    const text = li.lastChild;
    li.classList.toggle('pending', !entry.final);
    li.classList.toggle('interrupted', !!entry.interrupted);
    li.classList.toggle('not-understood', entry.understood === false);
    if (entry.turnId != null) li.dataset.turnId = String(entry.turnId);

    const bits = [entry.role === 'user' ? 'You' : 'Assistant'];
    if (entry.source === 'text') bits.push('typed');
    if (entry.turnId != null) bits.push('turn ' + entry.turnId);
    // understood: false: the words are only what the recogniser heard.
    if (entry.understood === false) bits.push('heard, not understood');
    // reason: the end of the call cut the reply; partial: it cut the user.
    if (entry.interrupted) bits.push(entry.reason ? 'cut off: call ended (' + entry.reason.replace(/_/g, ' ') + ')' : 'interrupted');
    if (entry.partial) bits.push('unfinished: call ended');
    if (entry.latencyMs != null) bits.push(Math.round(entry.latencyMs) + ' ms');
    meta.textContent = bits.join(' · ');
    if (entry.metrics) meta.title = metricsTitle(entry.metrics);

    text.textContent = '';
    if (entry.interrupted) {
      const heard = entry.heard || '';
      const full = entry.text || '';
      const heardSpan = document.createElement('span');
      heardSpan.className = 'heard';
      heardSpan.textContent = heard || '(interrupted before any of the reply was heard)';
      text.appendChild(heardSpan);
      if (full && full.length > heard.length && full.startsWith(heard)) {
        const rest = document.createElement('span');
        rest.className = 'unheard';
        rest.textContent = full.slice(heard.length);
        rest.title = entry.reason ? 'Not heard: the call ended' : 'Not heard: the reply was interrupted';
        text.appendChild(rest);
      }
    } else {
      text.textContent = entry.text || (entry.final ? '' : '…');
    }
    if (transcriptFollow) el.transcript.scrollTop = el.transcript.scrollHeight;
  }

  function metricsTitle(m) {
    const names = {
      latency_ms: 'latency',
      endpoint_ms: 'end-of-speech detection',
      stt_ms: 'speech to text',
      llm_first_token_ms: 'LLM first token',
      tts_first_audio_ms: 'TTS first audio',
      speech_duration_ms: 'your speech',
    };
    return Object.keys(names).filter((k) => typeof m[k] === 'number')
      .map((k) => names[k] + ': ' + Math.round(m[k]) + ' ms').join('\n');
  }

  function findEntry(role, turnId) {
    for (let i = duplex.transcript.length - 1; i >= 0; i--) {
      const e = duplex.transcript[i];
      if (e.role === role && e.turnId === turnId) return e;
    }
    return null;
  }

  // A typed message is shown at once, before the server gives it a turn id;
  // the first event of the next turn adopts it instead of adding a copy.
  function unassignedTyped(text) {
    for (let i = duplex.transcript.length - 1; i >= 0; i--) {
      const e = duplex.transcript[i];
      if (e.role === 'user' && e.source === 'text' && e.turnId == null &&
          (text == null || e.text.trim() === String(text).trim())) return e;
    }
    return null;
  }

  function userLine(turnId, text, final, understood) {
    let e = findEntry('user', turnId);
    if (!e && final) {
      e = unassignedTyped(text);
      if (e) e.turnId = turnId;
    }
    if (!e) {
      e = addEntry({ role: 'user', turnId, text: '', final: false, interrupted: false,
        heard: null, latencyMs: null, metrics: null, source: 'voice' });
    }
    if (typeof text === 'string') e.text = text;
    if (final) e.final = true;
    if (typeof understood === 'boolean') e.understood = understood;
    renderEntry(e);
    return e;
  }

  function assistantLine(turnId) {
    let e = findEntry('assistant', turnId);
    if (!e) {
      const typed = unassignedTyped(null);
      if (typed) {
        typed.turnId = turnId;
        renderEntry(typed);
      }
      e = addEntry({ role: 'assistant', turnId, text: '', final: false, interrupted: false,
        heard: null, latencyMs: null, metrics: null, source: 'voice' });
    }
    return e;
  }

  // ---------------------------------------------------------------------
  // Server events

  function handleMessage(c, data) {
    if (c !== current) return;
    if (typeof data !== 'string') return; // the protocol only uses text messages
    let ev;
    try {
      ev = JSON.parse(data);
    } catch (_) {
      showError('The server sent a message that is not JSON.', { code: 'client_bad_message' });
      return;
    }
    if (!ev || typeof ev !== 'object') return;
    handleEvent(ev);
  }

  function handleEvent(ev) {
    const turnId = typeof ev.turn_id === 'number' ? ev.turn_id : 0;
    switch (ev.type) {
      case 'session.ready':
        duplex.callId = ev.call_id || null;
        duplex.mode = ev.mode || duplex.mode;
        duplex.pipeline = ev.pipeline || null;
        duplex.engines = ev.engines || null;
        if (current) current.sentMode = ev.mode || null; // the server's word wins
        renderSessionInfo();
        syncMode();
        break;
      case 'state':
        if (typeof ev.state === 'string' && ev.state) setAssistantState(ev.state);
        break;
      case 'transcript.partial':
        userLine(turnId, typeof ev.text === 'string' ? ev.text : '', false);
        break;
      case 'transcript.final': {
        const e = userLine(turnId, typeof ev.text === 'string' ? ev.text : '', true, ev.understood);
        if (ev.partial === true) {
          e.partial = true;
          renderEntry(e);
        }
        break;
      }
      case 'reply.delta': {
        const e = assistantLine(turnId);
        e.text += typeof ev.text === 'string' ? ev.text : '';
        renderEntry(e);
        break;
      }
      case 'reply.done': {
        const e = assistantLine(turnId);
        if (typeof ev.text === 'string') e.text = ev.text;
        e.final = true;
        renderEntry(e);
        break;
      }
      case 'reply.interrupted': {
        const e = assistantLine(turnId);
        if (typeof ev.text === 'string' && ev.text) e.text = ev.text;
        e.heard = typeof ev.heard === 'string' ? ev.heard : '';
        e.reason = typeof ev.reason === 'string' ? ev.reason : '';
        e.interrupted = true;
        e.final = true;
        renderEntry(e);
        break;
      }
      case 'turn.metrics': {
        const m = ev.metrics && typeof ev.metrics === 'object' ? ev.metrics : null;
        if (!m || typeof m.latency_ms !== 'number') break;
        setLatency(m.latency_ms);
        const e = findEntry('assistant', turnId) || findEntry('user', turnId);
        if (e) {
          e.latencyMs = m.latency_ms;
          e.metrics = m;
          renderEntry(e);
        }
        break;
      }
      case 'tool.started':
      case 'tool.done': {
        // Show which tools are running; the notice goes when the last ends.
        const running = duplex.toolsRunning || (duplex.toolsRunning = {});
        const id = typeof ev.tool_call_id === 'string' ? ev.tool_call_id : '';
        if (ev.type === 'tool.started') running[id] = typeof ev.tool === 'string' ? ev.tool : 'a tool';
        else delete running[id];
        const names = Object.values(running);
        if (names.length) {
          showNotice('Running ' + names.join(', ') + '…');
          duplex.toolNotice = true;
        } else if (duplex.toolNotice) {
          clearNotice();
          duplex.toolNotice = false;
        }
        break;
      }
      case 'session.ending':
        showNotice('The server is shutting down: this call ends after the current reply. Call again in a moment.');
        break;
      case 'error':
        showError(ev.message || ev.code || 'Server error', {
          source: 'server', code: ev.code || null, turnId: ev.turn_id == null ? null : ev.turn_id,
        });
        break;
      default:
        // Unknown event types are ignored so that newer servers keep working.
        break;
    }
  }

  // ---------------------------------------------------------------------
  // Client commands

  function sendRaw(msg) {
    const c = current;
    if (!isOpen(c)) return false;
    try {
      c.dc.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
      return true;
    } catch (e) {
      showError('Could not send on the data channel: ' + describe(e));
      return false;
    }
  }

  function syncMode() {
    const c = current;
    if (!isOpen(c)) return;
    const want = el.mode.value;
    // c.sentMode is the mode the server is known (or assumed) to run in:
    // full duplex until session.ready says otherwise.
    const serverMode = c.sentMode || duplex.mode || 'full_duplex';
    if (serverMode === want) {
      c.sentMode = want;
      return;
    }
    if (sendRaw({ type: 'session.update', mode: want })) {
      c.sentMode = want;
      duplex.mode = want;
      renderSessionInfo();
    }
  }

  function sendText() {
    const text = el.textInput.value.trim();
    if (!text) return;
    if (utf8Length(text) > MAX_TEXT_BYTES) {
      showError('The message is too long (over ' + MAX_TEXT_BYTES + ' bytes).');
      return;
    }
    if (!sendRaw({ type: 'input.text', text })) {
      showError('Not connected: start a call to send messages.');
      return;
    }
    el.textInput.value = '';
    addEntry({ role: 'user', turnId: null, text, final: true, interrupted: false,
      heard: null, latencyMs: null, metrics: null, source: 'text' });
  }

  // ---------------------------------------------------------------------
  // Local media

  function audioConstraints(exact) {
    const a = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    if (prefs.micId) a.deviceId = exact ? { exact: prefs.micId } : { ideal: prefs.micId };
    return a;
  }

  function videoConstraints(exact) {
    const v = {
      width: { ideal: 640, max: 1280 },
      height: { ideal: 480, max: 720 },
      frameRate: { max: 15 },
    };
    if (prefs.camId) v.deviceId = exact ? { exact: prefs.camId } : { ideal: prefs.camId };
    return v;
  }

  function canCapture() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  // Gets the microphone and (if wanted) the camera. Either may be missing:
  // the call goes on without it and the user is told why.
  async function getLocalMedia(wantVideo) {
    let audioTrack = null;
    let videoTrack = null;
    if (!canCapture()) {
      showError('This page cannot use the microphone or camera here (it needs HTTPS or localhost). ' +
        'You can still type messages.');
      return { audioTrack, videoTrack };
    }
    const gum = (constraints) => navigator.mediaDevices.getUserMedia(constraints);
    if (wantVideo) {
      try {
        const s = await gum({ audio: audioConstraints(false), video: videoConstraints(false) });
        audioTrack = s.getAudioTracks()[0] || null;
        videoTrack = s.getVideoTracks()[0] || null;
      } catch (_) {
        // Retry each device alone below to find out which one failed.
      }
    }
    if (!audioTrack) {
      try {
        const s = await gum({ audio: audioConstraints(false) });
        audioTrack = s.getAudioTracks()[0] || null;
      } catch (e) {
        showError('Microphone unavailable (' + describe(e) + '). The call goes on: you can type messages.');
      }
    }
    if (wantVideo && !videoTrack) {
      try {
        const s = await gum({ video: videoConstraints(false) });
        videoTrack = s.getVideoTracks()[0] || null;
      } catch (e) {
        showNotice('Camera unavailable (' + describe(e) + '). The call goes on with audio only.');
      }
    }
    return { audioTrack, videoTrack };
  }

  function applyMicEnabled() {
    const c = current;
    const half = el.mode.value === 'half_duplex';
    const on = !prefs.muted && (!half || pttHeld);
    if (c && c.audioTrack) c.audioTrack.enabled = on;
    el.ptt.classList.toggle('held', pttHeld);
  }

  function showSelfView(track) {
    if (!track) {
      el.selfView.srcObject = null;
      el.selfView.classList.remove('live');
      return;
    }
    el.selfView.srcObject = new MediaStream([track]);
    el.selfView.classList.add('live');
    const p = el.selfView.play();
    if (p && p.catch) p.catch(() => {});
  }

  function watchTrackEnd(c, track, kind) {
    track.addEventListener('ended', () => {
      if (c !== current || c.closed) return;
      if (kind === 'audio' && c.audioTrack === track) {
        showError('The microphone stopped (unplugged or taken by another app). Pick another one under Devices.');
      } else if (kind === 'video' && c.videoTrack === track) {
        showNotice('The camera stopped.');
        c.videoTrack = null;
        showSelfView(null);
      }
    });
  }

  // Replaces the microphone or camera of the running call.
  async function switchTrack(kind) {
    const c = current;
    if (!c || c.closed || !canCapture()) return;
    const sender = kind === 'audio' ? c.audioSender : c.videoSender;
    if (!sender) return;
    const constraints = kind === 'audio'
      ? { audio: audioConstraints(true) }
      : { video: videoConstraints(true) };
    const s = await navigator.mediaDevices.getUserMedia(constraints);
    const track = (kind === 'audio' ? s.getAudioTracks() : s.getVideoTracks())[0];
    if (!track) return;
    if (c !== current || c.closed) {
      track.stop();
      return;
    }
    await sender.replaceTrack(track);
    watchTrackEnd(c, track, kind);
    if (kind === 'audio') {
      if (c.audioTrack) c.audioTrack.stop();
      c.audioTrack = track;
      applyMicEnabled();
    } else {
      if (c.videoTrack) c.videoTrack.stop();
      c.videoTrack = track;
      showSelfView(track);
    }
    refreshDevices();
  }

  async function setCamera(on) {
    prefs.cameraOn = on;
    updateControls();
    const c = current;
    if (!c || c.closed || !c.videoSender) return;
    if (!on) {
      const t = c.videoTrack;
      c.videoTrack = null;
      showSelfView(null);
      await c.videoSender.replaceTrack(null);
      if (t) t.stop(); // turns the camera light off
      return;
    }
    if (c.videoTrack) return;
    try {
      await switchTrack('video');
    } catch (e) {
      showNotice('Camera unavailable (' + describe(e) + ').');
      prefs.cameraOn = false;
      updateControls();
    }
  }

  // ---------------------------------------------------------------------
  // Device pickers

  async function refreshDevices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
    let devices;
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch (_) {
      return;
    }
    fillSelect(el.micSelect, devices.filter((d) => d.kind === 'audioinput'), 'Microphone', prefs.micId,
      current && current.audioTrack);
    fillSelect(el.camSelect, devices.filter((d) => d.kind === 'videoinput'), 'Camera', prefs.camId,
      current && current.videoTrack);
  }

  function fillSelect(select, devices, noun, chosen, track) {
    // Before permission is granted, device ids and labels are empty.
    const usable = devices.filter((d) => d.deviceId);
    if (!usable.length) return;
    let active = chosen;
    if (!active && track && track.getSettings) {
      active = track.getSettings().deviceId || '';
    }
    select.textContent = '';
    usable.forEach((d, i) => {
      const o = document.createElement('option');
      o.value = d.deviceId;
      o.textContent = d.label || noun + ' ' + (i + 1);
      select.appendChild(o);
    });
    if (active && usable.some((d) => d.deviceId === active)) select.value = active;
  }

  // ---------------------------------------------------------------------
  // Signaling

  async function fetchIceServers() {
    let res;
    try {
      res = await fetch('/v1/config', { headers: authHeaders({ Accept: 'application/json' }), cache: 'no-store' });
    } catch (_) {
      throw unreachable();
    }
    if (!res.ok) throw new UserError(await errorText(res, 'Could not load the server configuration'));
    let cfg;
    try {
      cfg = await res.json();
    } catch (_) {
      throw new UserError('The server configuration (/v1/config) is not valid JSON.');
    }
    const list = cfg && Array.isArray(cfg.ice_servers) ? cfg.ice_servers : [];
    const out = [];
    for (const s of list) {
      if (!s || !s.urls) continue;
      const urls = Array.isArray(s.urls) ? s.urls.filter((u) => typeof u === 'string' && u) : [s.urls];
      if (!urls.length) continue;
      const server = { urls };
      if (s.username) server.username = String(s.username);
      if (s.credential) server.credential = String(s.credential);
      out.push(server);
    }
    return out;
  }

  function waitIceGathering(pc, ms) {
    return new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') {
        resolve(true);
        return;
      }
      let timer = null;
      const finish = (complete) => {
        clearTimeout(timer);
        pc.removeEventListener('icegatheringstatechange', onState);
        pc.removeEventListener('icecandidate', onCandidate);
        resolve(complete);
      };
      const onState = () => {
        if (pc.iceGatheringState === 'complete') finish(true);
      };
      const onCandidate = (ev) => {
        if (!ev.candidate) finish(true);
      };
      timer = setTimeout(() => finish(false), ms);
      pc.addEventListener('icegatheringstatechange', onState);
      pc.addEventListener('icecandidate', onCandidate);
    });
  }

  // Candidates found after the offer was sent (gathering took longer than
  // the cap) are sent with PATCH application/trickle-ice-sdpfrag.
  function queueLateCandidate(c, cand) {
    if (c.closed) return;
    if (cand && !cand.candidate) return; // empty candidate = end of a generation
    c.lateCandidates.push(cand ? 'a=candidate:' + cand.candidate.replace(/^candidate:/, '') : 'a=end-of-candidates');
    if (c.callURL && !c.patchTimer) c.patchTimer = setTimeout(() => flushCandidates(c), 100);
  }

  function sdpFragHeader(sdp) {
    const lines = sdp.split(/\r?\n/);
    let ufrag = '';
    let pwd = '';
    let mline = '';
    let mid = '';
    for (const l of lines) {
      if (!ufrag && l.startsWith('a=ice-ufrag:')) ufrag = l;
      else if (!pwd && l.startsWith('a=ice-pwd:')) pwd = l;
      else if (!mline && l.startsWith('m=')) mline = l;
      else if (mline && !mid && l.startsWith('a=mid:')) mid = l;
    }
    if (!ufrag || !pwd || !mline || !mid) return null;
    return [ufrag, pwd, mline, mid];
  }

  async function flushCandidates(c) {
    c.patchTimer = null;
    if (c.closed || !c.callURL || !c.lateCandidates.length || !c.pc.localDescription) return;
    const head = sdpFragHeader(c.pc.localDescription.sdp);
    if (!head) return;
    const body = head.concat(c.lateCandidates.splice(0)).join('\r\n') + '\r\n';
    try {
      await fetch(c.callURL, {
        method: 'PATCH',
        headers: authHeaders({ 'Content-Type': 'application/trickle-ice-sdpfrag' }),
        body,
      });
    } catch (_) {
      // Best effort: the candidates sent with the offer usually suffice.
    }
  }

  async function postOffer(sdp, resumeCred) {
    let res;
    const headers = { 'Content-Type': 'application/sdp', Accept: 'application/sdp' };
    if (resumeCred) headers['Duplex-Resume'] = resumeCred;
    try {
      res = await fetch('/v1/calls', { method: 'POST', headers: authHeaders(headers), body: sdp });
    } catch (_) {
      throw unreachable();
    }
    if (res.status !== 201) {
      const what = resumeCred ? 'The call could not be resumed' : 'The server refused the call';
      throw new UserError(await errorText(res, what));
    }
    const loc = res.headers.get('Location');
    const answer = await res.text();
    const callURL = loc ? new URL(loc, new URL('/v1/calls', window.location.href)).href : null;
    return { answer, callURL, etag: res.headers.get('ETag'), resume: res.headers.get('Duplex-Resume') };
  }

  // The resume credential of the call in progress, saved for a reload of
  // this tab with the transcript shown so far; at is when the page left.
  function saveResume(c) {
    try {
      if (!c || c.closed || !c.resume || !c.callURL) {
        sessionStorage.removeItem(RESUME_KEY);
        return;
      }
      sessionStorage.setItem(RESUME_KEY, JSON.stringify({
        cred: c.resume,
        callURL: c.callURL,
        at: Date.now(),
        transcript: duplex.transcript.slice(-RESUME_MAX_LINES),
      }));
    } catch (_) { /* storage full or disabled: no resume */ }
  }

  function forgetResume() {
    try {
      sessionStorage.removeItem(RESUME_KEY);
    } catch (_) { /* disabled */ }
  }

  // takeResume returns the saved call if it is fresh, and forgets it either
  // way: the credential is single use.
  function takeResume() {
    let saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(RESUME_KEY) || 'null');
    } catch (_) { /* unreadable: start afresh */ }
    forgetResume();
    if (!saved || typeof saved.cred !== 'string' || typeof saved.at !== 'number') return null;
    const age = Date.now() - saved.at;
    if (age < 0 || age > RESUME_FRESH_MS) return null;
    return saved;
  }

  // Restarts ICE on the call's connection: a new offer's credentials and
  // candidates go to the server with PATCH; its answer fragment replaces
  // the credentials and candidates of the previous answer. The call, its
  // data channel and the conversation stay.
  async function restartIce(c) {
    if (c.closed || c !== current || c.restarting || !c.callURL) return;
    if (c.restartTries >= ICE_RESTART_TRIES) {
      showError('The connection was lost and could not be restored. Please call again.');
      endCall(c, null);
      return;
    }
    c.restarting = true;
    c.restartTries = (c.restartTries || 0) + 1;
    c.acceptLate = false; // this generation's candidates go in the PATCH body
    setConnectionState('reconnecting');
    let retry = true;
    try {
      const pc = c.pc;
      const offer = await pc.createOffer({ iceRestart: true });
      await pc.setLocalDescription(offer);
      await waitIceGathering(pc, ICE_GATHER_TIMEOUT_MS);
      if (c.closed || c !== current) return;
      const sdp = pc.localDescription.sdp;
      const head = sdpFragHeader(sdp);
      const cands = sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
      const res = await fetch(c.callURL, {
        method: 'PATCH',
        headers: authHeaders({ 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': c.etag || '*' }),
        body: head.concat(cands).join('\r\n') + '\r\n',
      });
      if (res.status === 404) {
        retry = false;
        showNotice('The call ended while the connection was down.');
        c.callURL = null;
        endCall(c, null);
        return;
      }
      if (res.status !== 200) throw new Error('HTTP ' + res.status);
      c.etag = res.headers.get('ETag') || c.etag;
      const frag = await res.text();
      await pc.setRemoteDescription({ type: 'answer', sdp: withAnswerFragment(pc.remoteDescription.sdp, frag) });
      retry = false;
      // A restart on a path that still worked never leaves "connected":
      // no state change event will replace "reconnecting…".
      if (pc.connectionState === 'connected') setConnectionState('connected');
    } catch (_) {
      // The network may still be down: try again shortly.
    } finally {
      c.restarting = false;
      if (retry && !c.closed && c === current) {
        clearTimeout(c.restartTimer);
        c.restartTimer = setTimeout(() => restartIce(c), ICE_RESTART_RETRY_MS);
      }
    }
  }

  // The previous answer with the credentials and candidates of the
  // server's restart fragment.
  function withAnswerFragment(prev, frag) {
    const fl = frag.split(/\r?\n/);
    const ufrag = fl.find((l) => l.startsWith('a=ice-ufrag:'));
    const pwd = fl.find((l) => l.startsWith('a=ice-pwd:'));
    const cands = fl.filter((l) => l.startsWith('a=candidate:'));
    const out = [];
    let placed = false; // with BUNDLE, the first section's candidates serve all
    for (let l of prev.split(/\r?\n/)) {
      if (l.startsWith('a=candidate:') || l === 'a=end-of-candidates') continue;
      if (ufrag && l.startsWith('a=ice-ufrag:')) l = ufrag;
      if (pwd && l.startsWith('a=ice-pwd:')) l = pwd;
      out.push(l);
      if (!placed && l.startsWith('a=mid:')) {
        out.push(...cands);
        placed = true;
      }
    }
    return out.join('\r\n');
  }

  // A network change (Wi-Fi to LTE) breaks the path before ICE notices.
  function onNetworkChange() {
    const c = current;
    if (c && !c.closed && c.pc && c.pc.connectionState !== 'new') restartIce(c);
  }
  window.addEventListener('online', onNetworkChange);
  if (navigator.connection && navigator.connection.addEventListener) {
    navigator.connection.addEventListener('change', onNetworkChange);
  }

  function deleteCall(url, keepalive) {
    return fetch(url, {
      method: 'DELETE',
      headers: authHeaders({}),
      keepalive: !!keepalive,
    }).catch(() => {});
  }

  // ---------------------------------------------------------------------
  // Call lifecycle

  async function startCall(resume) {
    if (current) return;
    clearError();
    clearNotice();
    if (!(resume && resume.cred)) resume = null;
    const c = {
      resuming: resume,
      closed: false,
      pc: null,
      dc: null,
      audioTrack: null,
      videoTrack: null,
      audioSender: null,
      videoSender: null,
      callURL: null,
      sentMode: null,
      lateCandidates: [],
      acceptLate: false,
      patchTimer: null,
    };
    current = c;
    duplex.callURL = null;
    duplex.callId = null;
    duplex.pipeline = null;
    duplex.engines = null;
    duplex.mode = null;
    if (resume) {
      // The same conversation: its lines so far, then what follows.
      for (const entry of Array.isArray(resume.transcript) ? resume.transcript : []) {
        if (!entry || typeof entry !== 'object' || (entry.role !== 'user' && entry.role !== 'assistant')) continue;
        // A reply cut by the reload is not replayed: it stays cut.
        if (entry.role === 'assistant' && !entry.final) Object.assign(entry, { final: true, interrupted: true });
        addEntry(entry);
      }
      duplex.callURL = resume.callURL || null;
    }
    setConnectionState(resume ? 'reconnecting' : 'new');
    setAssistantState('connecting');
    renderSessionInfo();
    updateControls();
    try {
      await setupCall(c);
    } catch (e) {
      if (e instanceof Cancelled || c.closed) return;
      if (resume) {
        showNotice(describe(e) + ' Start a new call.');
      } else {
        showError(describe(e));
      }
      await endCall(c, null);
    }
  }

  function check(c) {
    if (c.closed || c !== current) throw new Cancelled();
  }

  async function setupCall(c) {
    const iceServers = await fetchIceServers();
    check(c);

    const media = await getLocalMedia(prefs.cameraOn);
    if (c.closed || c !== current) {
      if (media.audioTrack) media.audioTrack.stop();
      if (media.videoTrack) media.videoTrack.stop();
      throw new Cancelled();
    }
    c.audioTrack = media.audioTrack;
    c.videoTrack = media.videoTrack;
    if (!c.videoTrack && prefs.cameraOn) prefs.cameraOn = false;
    updateControls();
    refreshDevices();

    let pc;
    try {
      pc = new RTCPeerConnection({ iceServers });
    } catch (e) {
      throw new UserError('Could not create the WebRTC connection: ' + describe(e));
    }
    c.pc = pc;
    duplex.pc = pc;

    pc.addEventListener('connectionstatechange', () => {
      if (c !== current) return;
      const s = pc.connectionState;
      if ((c.restarting || c.resuming) && s !== 'connected' && s !== 'closed') return; // keep showing "reconnecting…"
      setConnectionState(s);
      if (c.closed) return;
      if (s === 'connected') {
        c.resuming = null;
        c.restartTries = 0;
        clearTimeout(c.restartTimer);
      } else if (s === 'failed') {
        restartIce(c);
      } else if (s === 'disconnected') {
        // Often a blip: restart only if it lasts.
        clearTimeout(c.restartTimer);
        c.restartTimer = setTimeout(() => {
          if (pc.connectionState === 'disconnected') restartIce(c);
        }, ICE_RESTART_DELAY_MS);
      }
    });

    pc.addEventListener('track', (ev) => {
      if (c !== current || ev.track.kind !== 'audio') return;
      el.remoteAudio.srcObject = ev.streams && ev.streams[0] ? ev.streams[0] : new MediaStream([ev.track]);
      playRemoteAudio();
    });

    pc.addEventListener('icecandidate', (ev) => {
      if (c.acceptLate) queueLateCandidate(c, ev.candidate);
    });

    // Audio is two-way. Without a microphone the section is still sendrecv
    // (no track attached) so that the assistant can be heard.
    const stream = new MediaStream();
    if (c.audioTrack) stream.addTrack(c.audioTrack);
    if (c.videoTrack) stream.addTrack(c.videoTrack);
    const audioTx = pc.addTransceiver(c.audioTrack || 'audio', { direction: 'sendrecv', streams: [stream] });
    c.audioSender = audioTx.sender;
    // Video goes one way, to the server. The section is there even when the
    // camera is off at the start so that it can be turned on mid-call with
    // replaceTrack (the server does not support renegotiation).
    const videoTx = pc.addTransceiver(c.videoTrack || 'video', { direction: 'sendonly', streams: [stream] });
    c.videoSender = videoTx.sender;
    if (c.audioTrack) watchTrackEnd(c, c.audioTrack, 'audio');
    if (c.videoTrack) watchTrackEnd(c, c.videoTrack, 'video');
    applyMicEnabled();
    showSelfView(c.videoTrack);

    // The events channel must exist before the offer so that the offer
    // carries the SCTP section.
    const dc = pc.createDataChannel('events', { ordered: true });
    c.dc = dc;
    duplex.dc = dc;
    dc.addEventListener('open', () => {
      if (c !== current) return;
      updateControls();
      renderSessionInfo();
      syncMode();
    });
    dc.addEventListener('message', (ev) => handleMessage(c, ev.data));
    dc.addEventListener('close', () => {
      if (c !== current || c.closed) return;
      showNotice('The server closed the call.');
      c.callURL = null; // already gone on the server: a DELETE would get 404
      endCall(c, null);
    });
    dc.addEventListener('error', () => {
      // Closing a channel reports an error in some browsers; the "close"
      // handler above deals with the consequences.
    });

    const offer = await pc.createOffer();
    check(c);
    await pc.setLocalDescription(offer);
    check(c);
    if (!c.resuming) setConnectionState('connecting');
    const complete = await waitIceGathering(pc, ICE_GATHER_TIMEOUT_MS);
    check(c);
    if (!complete) c.acceptLate = true;

    const { answer, callURL, etag, resume } = await postOffer(pc.localDescription.sdp, c.resuming && c.resuming.cred);
    if (c.closed || c !== current) {
      if (callURL) deleteCall(callURL, true);
      throw new Cancelled();
    }
    c.callURL = callURL;
    c.etag = etag;
    c.resume = resume;
    duplex.callURL = callURL;
    if (!callURL) showNotice('The server sent no Location header: the call cannot be ended cleanly.');
    if (c.lateCandidates.length) c.patchTimer = setTimeout(() => flushCandidates(c), 0);

    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch (e) {
      throw new UserError('The server’s answer could not be used: ' + describe(e));
    }
    check(c);
    updateControls();
  }

  function playRemoteAudio() {
    const p = el.remoteAudio.play();
    if (!p || !p.catch) return;
    p.catch((e) => {
      if (e && e.name === 'NotAllowedError') {
        showNotice('Tap anywhere to hear the assistant.');
        const resume = () => {
          document.removeEventListener('pointerdown', resume, true);
          document.removeEventListener('keydown', resume, true);
          const q = el.remoteAudio.play();
          if (q && q.catch) q.catch(() => {});
          clearNotice();
        };
        document.addEventListener('pointerdown', resume, true);
        document.addEventListener('keydown', resume, true);
      }
      // AbortError: a newer srcObject replaced this one; nothing to do.
    });
  }

  // Ends call c (if it is still running): stops the devices, deletes the
  // call resource and closes the connection. Safe to call more than once.
  async function endCall(c, keepalive) {
    if (!c || c.closed) return;
    c.closed = true;
    forgetResume();
    clearTimeout(c.patchTimer);
    clearTimeout(c.restartTimer);
    if (c.audioTrack) c.audioTrack.stop();
    if (c.videoTrack) c.videoTrack.stop();
    if (c === current) {
      current = null;
      pttHeld = false;
      showSelfView(null);
      el.remoteAudio.srcObject = null;
      setConnectionState('closed');
      setAssistantState('idle');
      // Keep duplex.pc / callURL / callId for inspection after the call.
      updateControls();
      renderSessionInfo();
    }
    // DELETE before closing the connection: a server that sees the
    // connection close first ends the call by itself (as "peer_closed") and
    // answers the DELETE with 404, an error in the console. The wait is
    // bounded so that a hung server does not keep the connection open.
    if (c.callURL) {
      const del = deleteCall(c.callURL, keepalive);
      if (!keepalive) await Promise.race([del, new Promise((r) => setTimeout(r, DELETE_TIMEOUT_MS))]);
    }
    try {
      if (c.dc) c.dc.close();
    } catch (_) { /* already closed */ }
    try {
      if (c.pc) c.pc.close();
    } catch (_) { /* already closed */ }
  }

  // ---------------------------------------------------------------------
  // Push to talk (half duplex)

  function pttDown(ev) {
    if (el.ptt.disabled) return;
    if (ev && ev.pointerId != null && el.ptt.setPointerCapture) {
      try {
        el.ptt.setPointerCapture(ev.pointerId);
      } catch (_) { /* pointer already gone */ }
    }
    if (ev && ev.cancelable) ev.preventDefault();
    if (pttHeld) return;
    pttHeld = true;
    applyMicEnabled();
    updateControls();
    sendRaw({ type: 'input.audio.start' });
  }

  function pttUp() {
    if (!pttHeld) return;
    pttHeld = false;
    applyMicEnabled();
    updateControls();
    sendRaw({ type: 'input.audio.stop' });
  }

  el.ptt.addEventListener('pointerdown', pttDown);
  el.ptt.addEventListener('pointerup', pttUp);
  el.ptt.addEventListener('pointercancel', pttUp);
  el.ptt.addEventListener('lostpointercapture', pttUp);
  el.ptt.addEventListener('contextmenu', (ev) => ev.preventDefault());
  el.ptt.addEventListener('keydown', (ev) => {
    if ((ev.key === ' ' || ev.key === 'Enter') && !ev.repeat) {
      ev.preventDefault();
      pttDown(null);
    }
  });
  el.ptt.addEventListener('keyup', (ev) => {
    if (ev.key === ' ' || ev.key === 'Enter') {
      ev.preventDefault();
      pttUp();
    }
  });
  el.ptt.addEventListener('blur', pttUp);
  // The space bar works as push-to-talk anywhere outside form fields.
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== ' ' || ev.repeat || el.ptt.hidden || ev.target !== document.body) return;
    ev.preventDefault();
    pttDown(null);
  });
  document.addEventListener('keyup', (ev) => {
    if (ev.key !== ' ' || ev.target !== document.body) return;
    pttUp();
  });

  // ---------------------------------------------------------------------
  // Wiring

  function guard(fn) {
    return (ev) => {
      try {
        const p = fn(ev);
        if (p && p.catch) p.catch((e) => showError(describe(e)));
      } catch (e) {
        showError(describe(e));
      }
    };
  }

  el.call.addEventListener('click', guard(startCall));
  el.hangup.addEventListener('click', guard(() => endCall(current, null)));
  el.mute.addEventListener('click', guard(() => {
    prefs.muted = !prefs.muted;
    applyMicEnabled();
    updateControls();
  }));
  el.camera.addEventListener('click', guard(() => setCamera(!prefs.cameraOn)));
  el.mode.addEventListener('change', guard(() => {
    pttHeld = false;
    applyMicEnabled();
    updateControls();
    syncMode();
  }));
  el.textForm.addEventListener('submit', guard((ev) => {
    ev.preventDefault();
    sendText();
  }));
  el.stop.addEventListener('click', guard(() => {
    if (!sendRaw({ type: 'response.cancel' })) showError('Not connected.');
  }));
  el.micSelect.addEventListener('change', guard(async () => {
    prefs.micId = el.micSelect.value;
    try {
      await switchTrack('audio');
    } catch (e) {
      showError('Could not switch the microphone: ' + describe(e));
    }
  }));
  el.camSelect.addEventListener('change', guard(async () => {
    prefs.camId = el.camSelect.value;
    if (!prefs.cameraOn) return;
    try {
      await switchTrack('video');
    } catch (e) {
      showNotice('Could not switch the camera: ' + describe(e));
    }
  }));
  el.errorClose.addEventListener('click', clearError);
  el.noticeClose.addEventListener('click', clearNotice);

  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener('devicechange', () => { refreshDevices(); });
  }

  // Leaving the page: a call that can be resumed is left to the server's
  // resume window and its credential kept for a reload of this tab (a
  // closed tab's call ends when that window passes); any other call is
  // ended, keepalive letting the DELETE outlive the page.
  window.addEventListener('pagehide', () => {
    const c = current;
    if (!c) return;
    if (c.resume && c.callURL && c.pc && c.pc.connectionState === 'connected') {
      saveResume(c);
      return;
    }
    endCall(c, true);
  });

  // Last line of defence: nothing ends up as an uncaught error in the
  // console; it is shown in the page instead.
  window.addEventListener('unhandledrejection', (ev) => {
    ev.preventDefault();
    showError('Unexpected error: ' + describe(ev.reason));
  });
  window.addEventListener('error', (ev) => {
    if (ev.error) {
      ev.preventDefault();
      showError('Unexpected error: ' + describe(ev.error));
    }
  });

  if (typeof RTCPeerConnection === 'undefined') {
    showError('This browser does not support WebRTC, so calls are not possible.');
    el.call.disabled = true;
  }

  setConnectionState('new');
  setAssistantState('idle');
  setLatency(null);
  updateControls();
  if (typeof RTCPeerConnection === 'undefined') el.call.disabled = true;
  refreshDevices();
  // Reloaded during a call: carry on with the same conversation.
  const saved = takeResume();
  if (saved && typeof RTCPeerConnection !== 'undefined') guard(() => startCall(saved))();
}());
