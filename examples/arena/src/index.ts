export * from "./game.js";
export * from "./module.js";
