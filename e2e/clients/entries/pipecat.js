// Browser entry for Pipecat's client-js with the SmallWebRTC transport:
// bundled by build.mjs into build/pipecat.js, which sets window.DuplexPipecat.
import { SmallWebRTCTransport } from '@pipecat-ai/small-webrtc-transport';
import { LocalMediaManager } from './local-media-manager.js';

export { PipecatClient, RTVIEvent } from '@pipecat-ai/client-js';
export { SmallWebRTCTransport, WavMediaManager, DailyMediaManager } from '@pipecat-ai/small-webrtc-transport';
export { LocalMediaManager };
export { version as clientJsVersion } from '../node_modules/@pipecat-ai/client-js/package.json';
export { version as smallWebRTCVersion } from '../node_modules/@pipecat-ai/small-webrtc-transport/package.json';

// createTransport is a SmallWebRTCTransport whose media come from
// LocalMediaManager (no CDN); a track that changes mid-call goes straight
// onto the matching transceiver (audio = 0, camera = 1, as the transport
// lays them out).
export function createTransport(opts = {}) {
  let transport = null;
  const mediaManager = new LocalMediaManager({
    onLocalTrack: async (kind, track) => {
      if (!transport?.pc) return;
      const t = kind === 'audio' ? transport.getAudioTransceiver() : transport.getVideoTransceiver();
      await t?.sender.replaceTrack(track);
    },
  });
  transport = new SmallWebRTCTransport({ ...opts, mediaManager });
  return transport;
}
