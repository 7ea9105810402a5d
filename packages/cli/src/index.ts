export { type DevOptions, runDev } from "./dev.js";
