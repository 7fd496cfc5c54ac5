import { createApp } from "./app";

export { ChannelRoom } from "./durable/channel-room";
export { SessionShard } from "./realtime/session-shard";

export default createApp() satisfies ExportedHandler<Env>;
