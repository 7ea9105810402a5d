// The template's own tests, run here against the workspace's packages, so a change to the engine
// that breaks a new project shows in the repository's tests at once (the acceptance test runs
// them again in a project installed from tarballs, which takes minutes).
import "../template/test/game.test.js";
