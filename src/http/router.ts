import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { defaultHook } from "./validation";

/** Every resource router: zod failures become the contract's 400 body. @example createRouter().openapi(route, handler) */
export const createRouter = () => new OpenAPIHono<AppEnv>({ defaultHook });
