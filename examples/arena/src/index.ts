export * from "./bot.js";
export * from "./game.js";
export * from "./module.js";
