import { createApp } from "./app";

export { OpenChannel } from "./durable/open-channel";

export default createApp() satisfies ExportedHandler<Env>;
