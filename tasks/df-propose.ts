export { proposeTask as default } from "./deepfunding.js";
