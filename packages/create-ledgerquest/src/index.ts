export {
  findTarballs,
  nameProblem,
  nextSteps,
  ownVersion,
  ScaffoldError,
  type ScaffoldOptions,
  type ScaffoldResult,
  scaffold,
  TEMPLATE_DIR,
} from "./scaffold.js";
