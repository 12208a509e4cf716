// Browser entry for the OpenAI Agents SDK's Realtime client: bundled by
// build.mjs into build/openai.js, which sets window.DuplexOpenAI.
export {
  RealtimeAgent,
  RealtimeSession,
  OpenAIRealtimeWebRTC,
  OpenAIRealtimeWebSocket,
  OpenAIRealtimeBase,
} from '@openai/agents-realtime';
export { version as agentsRealtimeVersion } from '../node_modules/@openai/agents-realtime/package.json';
