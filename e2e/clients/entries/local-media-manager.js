// LocalMediaManager is a Pipecat media manager that needs no network:
// it takes the mic (and, when asked, the camera) straight from
// getUserMedia. SmallWebRTCTransport's default, DailyMediaManager, loads
// Daily's call-machine script from a CDN on startCamera, so an air-gapped
// browser (and the tests here) cannot use it. Audio and video travel over
// the transport's own peer connection; this class only supplies tracks.
//
// It implements the MediaManager interface of @pipecat-ai/transport-lib
// (not exported by the packages, so duck-typed). onLocalTrack(kind, track)
// is called when a track appears or is replaced after the call started,
// for the transport to put on its sender (createTransport does that).
const local = () => ({ id: 'local', name: '', local: true });

export class LocalMediaManager {
  constructor({ onLocalTrack } = {}) {
    this._onLocalTrack = onLocalTrack;
    this._callbacks = {};
    this._options = undefined;
    this._micEnabled = true;
    this._camEnabled = false;
    this._audio = null;
    this._video = null;
  }

  // Raw PCM callbacks are for WebSocket transports; WebRTC carries the audio.
  setUserAudioCallback(cb) { this._userAudioCallback = cb; }

  setClientOptions(options, override = false) {
    if (this._options && !override) return;
    this._options = options;
    this._callbacks = options.callbacks ?? {};
    this._micEnabled = options.enableMic ?? true;
    this._camEnabled = options.enableCam ?? false;
  }

  get supportsScreenShare() { return false; }

  async initialize() {
    await this._open();
    const devices = await navigator.mediaDevices.enumerateDevices();
    this._callbacks.onAvailableMicsUpdated?.(devices.filter((d) => d.kind === 'audioinput'));
    this._callbacks.onAvailableCamsUpdated?.(devices.filter((d) => d.kind === 'videoinput'));
    this._callbacks.onAvailableSpeakersUpdated?.(devices.filter((d) => d.kind === 'audiooutput'));
  }

  async connect() {
    await this._open();
    if (this._audio) this._callbacks.onTrackStarted?.(this._audio, local());
    if (this._video) this._callbacks.onTrackStarted?.(this._video, local());
  }

  async disconnect() {
    for (const t of [this._audio, this._video]) {
      if (t) {
        t.stop();
        this._callbacks.onTrackStopped?.(t, local());
      }
    }
    this._audio = this._video = null;
  }

  // Opens the mic (always, so enableMic can toggle it) and the camera if enabled.
  async _open() {
    if (!this._audio) this._audio = await this._get('audio', undefined);
    if (this._camEnabled && !this._video) this._video = await this._get('video', undefined);
  }

  async _get(kind, deviceId) {
    const c = deviceId ? { deviceId: { exact: deviceId } } : true;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ [kind]: c });
    } catch (error) {
      this._callbacks.onDeviceError?.({ type: 'unknown', devices: [kind === 'audio' ? 'mic' : 'cam'], error });
      throw error;
    }
    const track = kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    track.enabled = kind === 'audio' ? this._micEnabled : this._camEnabled;
    return track;
  }

  async _replace(kind, deviceId) {
    const old = kind === 'audio' ? this._audio : this._video;
    const track = await this._get(kind, deviceId);
    if (kind === 'audio') this._audio = track; else this._video = track;
    await this._onLocalTrack?.(kind, track);
    if (old) old.stop();
    this._callbacks.onTrackStarted?.(track, local());
    return track;
  }

  async _list(kind) {
    return (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === kind);
  }

  getAllMics() { return this._list('audioinput'); }
  getAllCams() { return this._list('videoinput'); }
  getAllSpeakers() { return this._list('audiooutput'); }

  async updateMic(micId) {
    await this._replace('audio', micId);
    this._callbacks.onMicUpdated?.(this.selectedMic);
  }

  async updateCam(camId) {
    await this._replace('video', camId);
    this._callbacks.onCamUpdated?.(this.selectedCam);
  }

  // The app plays the bot's track in its own <audio> element (setSinkId).
  updateSpeaker() {}

  _selected(track) {
    if (!track) return {};
    return { deviceId: track.getSettings().deviceId ?? '', label: track.label, kind: track.kind === 'audio' ? 'audioinput' : 'videoinput', groupId: '' };
  }

  get selectedMic() { return this._selected(this._audio); }
  get selectedCam() { return this._selected(this._video); }
  get selectedSpeaker() { return {}; }

  async enableMic(enable) {
    this._micEnabled = enable;
    if (this._audio) this._audio.enabled = enable;
  }

  async enableCam(enable) {
    this._camEnabled = enable;
    if (enable && !this._video) {
      await this._replace('video', undefined);
    } else if (this._video) {
      this._video.enabled = enable;
    }
  }

  enableScreenShare() {
    throw new Error('LocalMediaManager does not share the screen');
  }

  get isMicEnabled() { return this._micEnabled; }
  get isCamEnabled() { return this._camEnabled; }
  get isSharingScreen() { return false; }

  // Player hooks of WebSocket transports; over WebRTC the app plays the
  // bot track itself.
  userStartedSpeaking() {}
  bufferBotAudio() {}

  tracks() {
    const l = {};
    if (this._audio) l.audio = this._audio;
    if (this._video) l.video = this._video;
    return { local: l };
  }
}
